using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Vessel.Core.Api;
using Vessel.Core.Model;
using Vessel.Core.Validation;

namespace Vessel.Cli.Commands;

internal static class ImageCommands
{
    private const string Usage = "vessel image list|show|import|delete|alias|build (see vessel help)";

    public static Task RunAsync(ApiClient api, string[] args) => args.FirstOrDefault() switch
    {
        "list" => ListAsync(api, args[1..]),
        "show" => ShowAsync(api, args[1..]),
        "import" => ImportAsync(api, args[1..]),
        "delete" => DeleteAsync(api, args[1..]),
        "alias" => AliasAsync(api, args[1..]),
        "build" => BuildAsync(api, args[1..]),
        _ => throw new UsageException($"usage: {Usage}"),
    };

    /// <summary>Aliases such as debian/12 keep their slashes in the URL path.</summary>
    private static string PathOf(string reference) => string.Join('/', reference.Split('/').Select(Uri.EscapeDataString));

    private static string TypeQuery(Arguments a, char separator = '?') =>
        a.Flag("--vm") ? $"{separator}type=virtual-machine" : "";

    private static async Task ListAsync(ApiClient api, string[] args)
    {
        var a = Arguments.Parse(args, [], ["--format", "-f"]);
        a.ExpectPositionals(0, 0, "vessel image list [--format table|json|csv]");
        var images = await api.GetAsync("/1.0/images?recursion=1", VesselJson.Wire.ListImage);
        Output.List(a, images, VesselJson.Wire.ListImage, ["ALIAS", "FINGERPRINT", "TYPE", "ARCHITECTURE", "FORMAT", "SIZE", "DESCRIPTION", "CREATED"],
            i =>
            [
                string.Join(", ", i.Aliases), Output.Short(i.Fingerprint), i.Type.Name(), i.Architecture, i.Format,
                Sizes.Format(i.Size), i.Description, Output.Time(i.CreatedAt),
            ]);
    }

    private static async Task ShowAsync(ApiClient api, string[] args)
    {
        var a = Arguments.Parse(args, ["--vm"], []);
        a.ExpectPositionals(1, 1, "vessel image show IMAGE [--vm]");
        var image = await api.GetAsync($"/1.0/images/{PathOf(a.Positionals[0])}{TypeQuery(a)}", VesselJson.Wire.Image);
        Console.Out.Write(string.Create(CultureInfo.InvariantCulture, $"""
            Fingerprint: {image.Fingerprint}
            Type: {image.Type.Name()}
            Architecture: {image.Architecture}
            Format: {image.Format}
            Size: {Sizes.Format(image.Size)} ({image.Size} bytes)
            Description: {image.Description}
            Aliases: {string.Join(", ", image.Aliases)}
            Created: {Output.Time(image.CreatedAt)}

            """));
    }

    private const string ImportUsage = "vessel image import FILE [--vm] [--alias ALIAS] [--arch ARCH] [--description TEXT]\n" +
        "       vessel image import --kernel FILE --initrd FILE [--disk QCOW2] [--cmdline TEXT] [--alias ALIAS] [--arch ARCH] [--description TEXT]";

    /// <summary>An image file as the request body, or a kernel with its initramfs (and maybe a root disk) as the parts of a form.</summary>
    private static async Task ImportAsync(ApiClient api, string[] args)
    {
        var a = Arguments.Parse(args, ["--vm"], ["--alias", "--arch", "--description", "--kernel", "--initrd", "--disk", "--cmdline"]);
        var kernelImage = a.Option("--kernel") is not null || a.Option("--initrd") is not null;
        a.ExpectPositionals(kernelImage ? 0 : 1, kernelImage ? 0 : 1, ImportUsage);
        if (kernelImage && (a.Option("--kernel") is null || a.Option("--initrd") is null))
            throw new UsageException("--kernel and --initrd come together: a kernel image needs both\n" + ImportUsage);
        if (!kernelImage && (a.Option("--disk") ?? a.Option("--cmdline")) is not null)
            throw new UsageException("--disk and --cmdline belong to a kernel image (--kernel and --initrd)\n" + ImportUsage);
        var query = new List<string>();
        if (a.Flag("--vm") || kernelImage)
            query.Add("type=virtual-machine");
        foreach (var (option, key) in new[] { ("--alias", "alias"), ("--arch", "architecture"), ("--description", "description"), ("--cmdline", "cmdline") })
        {
            if (a.Option(option) is { } value)
                query.Add($"{key}={Uri.EscapeDataString(value)}");
        }
        // Streamed, never buffered: the files may be many gigabytes, or pipes. The content disposes of what it opened.
        static StreamContent FileContent(string path) => File.Exists(path)
            ? new StreamContent(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan), 1 << 20)
            : throw new UsageException($"{path}: no such file");
        HttpContent content;
        if (kernelImage)
        {
            var form = new MultipartFormDataContent();
            content = form;
            foreach (var (part, option) in new[] { ("kernel", "--kernel"), ("initrd", "--initrd"), ("disk", "--disk") })
            {
                if (a.Option(option) is { } path)
                    form.Add(FileContent(path), part, Path.GetFileName(path));
            }
        }
        else
        {
            content = FileContent(a.Positionals[0]);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        }
        using (content)
        {
            var image = await api.SendAsync(HttpMethod.Post, "/1.0/images" + (query.Count > 0 ? "?" + string.Join('&', query) : ""), content,
                VesselJson.Wire.Image);
            Console.WriteLine($"Image imported with fingerprint: {image.Fingerprint}");
        }
    }

    private static async Task BuildAsync(ApiClient api, string[] args)
    {
        var a = Arguments.Parse(args, ["--vm"], ["--suite", "--include", "--arch"]);
        a.ExpectPositionals(1, 1, "vessel image build busybox|debian [--vm] [--arch x86_64|aarch64] [--suite SUITE] [--include PKG,...]");
        var request = new ImageBuildPost(a.Positionals[0], a.Flag("--vm") ? InstanceType.VirtualMachine : InstanceType.Container,
            a.Option("--suite"), a.Option("--include")?.Split(',', StringSplitOptions.RemoveEmptyEntries).ToList(), a.Option("--arch"));
        var operation = await api.SendAsync(HttpMethod.Post, "/1.0/images/build", ApiClient.Json(request, VesselJson.Wire.ImageBuildPost),
            VesselJson.Wire.Operation);
        await api.WaitAsync(operation);
        var image = await api.GetAsync($"/1.0/images/{PathOf(request.Alias)}?type={request.Type.Name()}", VesselJson.Wire.Image);
        Console.WriteLine($"Image {request.Alias} built: {image.Fingerprint}");
    }

    /// <summary>vessel publish NAME[/SNAP]: the stopped instance, or one of its snapshots, as a new image.</summary>
    public static async Task PublishAsync(ApiClient api, string[] args)
    {
        var a = Arguments.Parse(args, [], ["--alias", "--description"]);
        a.ExpectPositionals(1, 1, "vessel publish NAME[/SNAP] [--alias ALIAS] [--description TEXT]");
        var request = new ImagePublishPost(a.Positionals[0], a.Option("--alias"), a.Option("--description"));
        var operation = await api.SendAsync(HttpMethod.Post, "/1.0/images/publish", ApiClient.Json(request, VesselJson.Wire.ImagePublishPost),
            VesselJson.Wire.Operation);
        await api.WaitAsync(operation);
        if (request.Alias is null)
        {
            Console.WriteLine($"Published {request.Source} (vessel image list shows it)");
            return;
        }
        var instance = await api.GetAsync($"/1.0/instances/{Uri.EscapeDataString(request.Source!.Split('/')[0])}", VesselJson.Wire.Instance);
        var image = await api.GetAsync($"/1.0/images/{PathOf(request.Alias)}?type={instance.Type.Name()}", VesselJson.Wire.Image);
        Console.WriteLine($"Published {request.Source} as image {request.Alias}: {image.Fingerprint}");
    }

    private static async Task DeleteAsync(ApiClient api, string[] args)
    {
        var a = Arguments.Parse(args, ["--vm"], []);
        if (a.Positionals.Count == 0)
            throw new UsageException("usage: vessel image delete IMAGE... [--vm]");
        foreach (var image in a.Positionals)
            await api.SendAsync(HttpMethod.Delete, $"/1.0/images/{PathOf(image)}{TypeQuery(a)}");
    }

    private static async Task AliasAsync(ApiClient api, string[] args)
    {
        var a = Arguments.Parse(args.Skip(1), ["--vm"], ["--description"]);
        switch (args.FirstOrDefault())
        {
            case "list":
                a.ExpectPositionals(0, 0, "vessel image alias list");
                var aliases = await api.GetAsync("/1.0/images/aliases", VesselJson.Wire.ListImageAlias);
                Console.Out.Write(Output.Table(["ALIAS", "TYPE", "FINGERPRINT", "DESCRIPTION"],
                    aliases.Select(x => (IReadOnlyList<string>)[x.Name, x.Type.Name(), Output.Short(x.Fingerprint), x.Description]),
                    OutputFormat.Table));
                break;
            case "create":
                a.ExpectPositionals(2, 2, "vessel image alias create ALIAS IMAGE [--vm]");
                var body = new ImageAliasPost(a.Positionals[0], a.Positionals[1], a.Option("--description"));
                await api.SendAsync(HttpMethod.Post, "/1.0/images/aliases" + TypeQuery(a), ApiClient.Json(body, VesselJson.Wire.ImageAliasPost),
                    VesselJson.Wire.ImageAlias);
                break;
            case "delete":
                a.ExpectPositionals(1, 1, "vessel image alias delete ALIAS [--vm]");
                await api.SendAsync(HttpMethod.Delete, $"/1.0/images/aliases/{PathOf(a.Positionals[0])}{TypeQuery(a)}");
                break;
            default:
                throw new UsageException("usage: vessel image alias list | create ALIAS IMAGE [--vm] | delete ALIAS [--vm]");
        }
    }
}
