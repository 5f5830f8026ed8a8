using Microsoft.Extensions.FileProviders;

namespace Vessel.Daemon;

/// <summary>
/// Serves the built web UI (index.html and its assets) at /, beside the API at /1.0 on the same origin. Its files are
/// public; everything it shows comes from the API, which checks the login.
/// </summary>
internal static class WebUi
{
    // The UI loads nothing from elsewhere; xterm.js sets inline styles; noVNC draws through data: and blob: images.
    private const string ContentSecurityPolicy = "default-src 'self'; connect-src 'self'; img-src 'self' data: blob:; " +
        "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    public static void Map(WebApplication app, string directory)
    {
        if (!File.Exists(Path.Combine(directory, "index.html")))
        {
            app.MapGet("/", () => Results.Text($"The Vessel web UI is not installed here (no {directory}/index.html); " +
                "./scripts/install.sh builds and installs it.\n", "text/plain; charset=utf-8", statusCode: 404));
            return;
        }
        var files = new PhysicalFileProvider(directory);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            OnPrepareResponse = file =>
            {
                var headers = file.Context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                // Vite names assets by their content hash; index.html must be asked for again to find new ones.
                headers.CacheControl = file.File.Name == "index.html" ? "no-cache" : "public, max-age=31536000, immutable";
            },
        });
    }
}
