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
        using var certificate = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
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
        using (var file = new FileStream(temporary, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = mode }))
        using (var writer = new StreamWriter(file))
            writer.Write(text);
        File.SetUnixFileMode(temporary, mode);
        File.Move(temporary, path, overwrite: true);
    }
}
