using System.Net;
using System.Net.Sockets;
using Vessel.Core;
using Vessel.Core.State;
using Vessel.Core.Validation;

namespace Vessel.Daemon.Auth;

/// <summary>
/// The HTTPS listener at core.https_address. It is described to Kestrel as endpoint configuration that Kestrel
/// reloads, so changing the setting binds, moves or closes the listener without a daemon restart.
/// </summary>
internal sealed class HttpsListener : ConfigurationProvider, IConfigurationSource, IDisposable
{
    private readonly ServerCertificate _certificate;
    private readonly SemaphoreSlim _lock = new(1, 1);

    public HttpsListener(ServerCertificate certificate)
    {
        _certificate = certificate;
        Configuration = new ConfigurationBuilder().Add(this).Build();
    }

    /// <summary>What Kestrel reads its endpoints from.</summary>
    public IConfiguration Configuration { get; }

    public IPEndPoint? Endpoint { get; private set; }

    public void Dispose() => _lock.Dispose();

    IConfigurationProvider IConfigurationSource.Build(IConfigurationBuilder builder) => this;

    /// <summary>Listens where the stored setting says, at daemon start; an address that cannot be bound is logged, not fatal.</summary>
    public async Task RestoreAsync(IStateStore store, ILogger logger, CancellationToken cancellationToken)
    {
        if (await store.GetSettingAsync(ServerConfigSchema.HttpsAddress, cancellationToken) is not { } address)
            return;
        var endpoint = ServerConfigSchema.ParseEndpoint(ServerConfigSchema.HttpsAddress, address);
        try
        {
            EnsureFree(endpoint);
            Set(endpoint);
        }
        catch (ConflictException e)
        {
            Log.HttpsUnavailable(logger, e.Message);
        }
    }

    /// <summary>Moves the listener (null closes it) and returns once it accepts connections at the new address.</summary>
    public async Task ListenAsync(IPEndPoint? endpoint, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (Equals(endpoint, Endpoint))
                return;
            var previous = Endpoint;
            if (endpoint is not null && endpoint.Port != previous?.Port) // the port we hold ourselves would look taken
                EnsureFree(endpoint);
            Set(endpoint);
            try
            {
                // Not cancelled with the request once the change is under way: Kestrel drains the old listener (up to 5 s)
                // before it binds the new one, and a request that came over the old one may be cut meanwhile.
                if (endpoint is not null)
                    await WaitUntilAsync(endpoint, accepting: true, CancellationToken.None);
                else if (previous is not null)
                    await WaitUntilAsync(previous, accepting: false, CancellationToken.None);
            }
            catch
            {
                Set(previous);
                throw;
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    private void Set(IPEndPoint? endpoint)
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (endpoint is not null)
        {
            data["Endpoints:https:Url"] = $"https://{endpoint}";
            data["Endpoints:https:Certificate:Path"] = _certificate.CertificatePath;
            data["Endpoints:https:Certificate:KeyPath"] = _certificate.KeyPath;
        }
        Data = data;
        Endpoint = endpoint;
        OnReload();
    }

    private static void EnsureFree(IPEndPoint endpoint)
    {
        try
        {
            using var probe = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(endpoint);
        }
        catch (SocketException e)
        {
            throw new ConflictException($"{ServerConfigSchema.HttpsAddress}: cannot listen on {endpoint}: {e.Message}");
        }
    }

    private static async Task WaitUntilAsync(IPEndPoint endpoint, bool accepting, CancellationToken cancellationToken)
    {
        var target = endpoint.Address.Equals(IPAddress.Any) ? new IPEndPoint(IPAddress.Loopback, endpoint.Port)
            : endpoint.Address.Equals(IPAddress.IPv6Any) ? new IPEndPoint(IPAddress.IPv6Loopback, endpoint.Port)
            : endpoint;
        for (var attempt = 0; attempt < 300; attempt++)
        {
            using var probe = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await probe.ConnectAsync(target, cancellationToken);
                if (accepting)
                    return;
            }
            catch (SocketException)
            {
                if (!accepting)
                    return;
            }
            await Task.Delay(50, cancellationToken);
        }
        throw new VesselException(500, $"{ServerConfigSchema.HttpsAddress}: the listener on {endpoint} did not {(accepting ? "open" : "close")} within 15 s");
    }
}
