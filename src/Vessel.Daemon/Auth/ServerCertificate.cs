using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Vessel.Daemon.Auth;

/// <summary>The daemon's HTTPS certificate: self-signed, made on first start and kept in the state directory.</summary>
internal sealed class ServerCertificate
{
    public string CertificatePath { get; }
    public string KeyPath { get; }
    public string Fingerprint { get; }

    private ServerCertificate(string certificatePath, string keyPath, string fingerprint) =>
        (CertificatePath, KeyPath, Fingerprint) = (certificatePath, keyPath, fingerprint);

    public static ServerCertificate LoadOrCreate(string stateDirectory)
    {
        var certificatePath = Path.Combine(stateDirectory, "server.crt");
        var keyPath = Path.Combine(stateDirectory, "server.key");
        if (!File.Exists(certificatePath) || !File.Exists(keyPath))
            Create(certificatePath, keyPath);
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            // A damaged pair must not keep the daemon (and its unix socket) down: it is set aside and replaced, and
            // clients that pinned the old fingerprint have to pin the new one.
            var aside = $".broken-{DateTimeOffset.UtcNow:yyyyMMddHHmmss}";
            File.Move(certificatePath, certificatePath + aside, overwrite: true);
            File.Move(keyPath, keyPath + aside, overwrite: true);
            Console.Error.WriteLine($"vesseld: the HTTPS certificate could not be read ({e.Message}); it is now {certificatePath}{aside}, and a new one was made");
            Create(certificatePath, keyPath);
            certificate = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        }
        using (certificate)
            return new ServerCertificate(certificatePath, keyPath, Credentials.Fingerprint(certificate));
    }

    private static void Create(string certificatePath, string keyPath)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var host = Environment.MachineName;
        var request = new CertificateRequest($"CN=vessel@{host}, O=Vessel", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(host);
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        names.AddIpAddress(System.Net.IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // server auth
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(10));
        // Written beside and renamed, the key first with owner-only access: a crash leaves no half-made pair.
        WriteAtomically(keyPath, key.ExportPkcs8PrivateKeyPem(), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        WriteAtomically(certificatePath, certificate.ExportCertificatePem(),
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    private static void WriteAtomically(string path, string text, UnixFileMode mode)
    {
        var temporary = path + ".new";
        File.Delete(temporary); // left by a crash, maybe with another mode
        using (var file = new FileStream(temporary, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode }))
        {
            file.Write(System.Text.Encoding.ASCII.GetBytes(text));
            file.Flush(flushToDisk: true); // on disk before the rename, so that a power loss leaves the old file or the whole new one
        }
        File.Move(temporary, path, overwrite: true);
    }
}
