using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Vessel.IntegrationTests;

/// <summary>
/// The web UI end to end: a real daemon serving it over HTTPS, a busybox VM for its graphical console, and Debian's
/// Chromium driven by Playwright through ui/e2e/ui.e2e.mjs. Screenshots of every page land in artifacts/ui-e2e.
/// </summary>
public sealed class WebUiTests : IDisposable
{
    private readonly Host _host = new();

    public WebUiTests() => _host.StartDaemon();

    public void Dispose() => _host.Dispose();

    private static string Ok(CliResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout.Trim();
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Browser_LogsIn_LaunchesAContainer_UsesItsConsole_RestoresASnapshot_AndShowsTheVmDisplay()
    {
        Assert.True(File.Exists("/usr/bin/chromium"), "Debian's chromium is needed (scripts/test.sh installs it)");
        Ok(_host.Vessel("image", "build", "busybox"));
        Ok(_host.Vessel("image", "build", "busybox", "--vm"));
        Ok(_host.Vessel("launch", "busybox", "uivm", "--vm", "--network", "none", "-c", "limits.memory=256MiB"));
        var port = FreePort();
        Ok(_host.Vessel("server", "set", "core.https_address", $"127.0.0.1:{port}"));
        var token = Ok(_host.Vessel("auth", "token", "create", "--description", "browser test", "--expiry", "1H"));

        var artifacts = Path.Combine(Binaries.Repository, "artifacts", "ui-e2e");
        Directory.CreateDirectory(artifacts);
        var start = new ProcessStartInfo("node", [Path.Combine(Binaries.Repository, "ui", "e2e", "ui.e2e.mjs")])
        {
            WorkingDirectory = Path.Combine(Binaries.Repository, "ui"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["VESSEL_UI_URL"] = $"https://127.0.0.1:{port}/",
                ["VESSEL_TOKEN"] = token,
                ["VESSEL_VM_NAME"] = "uivm",
                ["VESSEL_IMAGE"] = "busybox",
                ["VESSEL_NETWORK"] = "none",
                ["ARTIFACTS_DIR"] = artifacts,
            },
        };
        using var browser = Process.Start(start)!;
        var output = Task.WhenAll(browser.StandardOutput.ReadToEndAsync(), browser.StandardError.ReadToEndAsync());
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(6));
        try
        {
            await browser.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            browser.Kill(entireProcessTree: true);
        }
        var text = string.Join("\n", await output);
        Assert.True(browser.HasExited && browser.ExitCode == 0, $"the browser test failed or took over 6 minutes:\n{text}");
        Assert.True(File.Exists(Path.Combine(artifacts, "instances.png")), $"no screenshots in {artifacts}:\n{text}");
    }
}
