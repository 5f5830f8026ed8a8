using System.Runtime.ExceptionServices;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Vessel.Core;
using Vessel.Core.Api;
using Vessel.Core.Model;
using Vessel.Core.State;
using Vessel.Core.Validation;
using Vessel.Daemon.Events;
using Vessel.Daemon.Instances;
using Vessel.Daemon.Operations;
using Vessel.Storage;
using Vessel.Storage.Images;

namespace Vessel.Daemon.Api;

/// <summary>/1.0/images: the image store and its aliases.</summary>
internal static class ImagesApi
{
    public static void Map(IEndpointRouteBuilder api)
    {
        var images = api.MapGroup("/images");
        images.MapGet("", async (HttpRequest request, IStateStore store, CancellationToken ct) =>
        {
            var all = await store.ListImagesAsync(ct);
            return Http.Flag(request, "recursion")
                ? Http.Json(all.ToList(), VesselJson.Wire.ListImage)
                : Http.Json(all.Select(i => $"/1.0/images/{i.Fingerprint}").ToList(), VesselJson.Wire.ListString);
        });
        images.MapPost("", ImportAsync);
        images.MapPost("/build", BuildAsync);
        images.MapPost("/publish", async (HttpRequest request, InstanceService instances, CancellationToken ct) =>
            Http.Accepted(await instances.PublishAsync(await Http.ReadJsonAsync(request, VesselJson.Wire.ImagePublishPost), ct)));
        images.MapGet("/aliases", async (IStateStore store, CancellationToken ct) =>
            Http.Json((await store.ListAliasesAsync(ct)).ToList(), VesselJson.Wire.ListImageAlias));
        images.MapPost("/aliases", CreateAliasAsync);
        images.MapDelete("/aliases/{**name}", async (string name, HttpRequest request, IStateStore store, EventHub events, CancellationToken ct) =>
        {
            await store.DeleteAliasAsync(name, TypeOf(request) ?? InstanceType.Container, ct);
            events.Lifecycle("image-alias-deleted", $"/1.0/images/aliases/{name}");
            return Results.Ok();
        });
        images.MapGet("/{**reference}", async (string reference, HttpRequest request, ImageStore store, CancellationToken ct) =>
            Http.Json(await store.ResolveAsync(reference, TypeOf(request), ct), VesselJson.Wire.Image));
        images.MapDelete("/{**reference}", async (string reference, HttpRequest request, ImageStore store, StoragePools pools, EventHub events,
            CancellationToken ct) =>
        {
            var image = await store.ResolveAsync(reference, TypeOf(request), ct);
            await store.DeleteAsync(image, ct);
            await pools.ForgetImageAsync(image.Fingerprint, ct);
            events.Lifecycle("image-deleted", $"/1.0/images/{image.Fingerprint}");
            return Results.Ok();
        });
    }

    private static InstanceType? TypeOf(HttpRequest request) =>
        request.Query.TryGetValue("type", out var type) ? InstanceTypes.Parse(type.ToString()) : null;

    /// <summary>
    /// The body is the image file itself, or (multipart/form-data) a kernel, its initramfs and maybe a root disk as the parts
    /// kernel, initrd and disk, with the kernel command line in the query (cmdline). The import runs as an operation for its whole length, so a daemon
    /// killed during an upload leaves a failed operation and no image; a client that hangs up cancels it.
    /// </summary>
    private static async Task<IResult> ImportAsync(HttpContext context, ImageStore store, OperationManager operations, EventHub events)
    {
        var query = context.Request.Query;
        var request = new ImageImport(TypeOf(context.Request), query["architecture"].FirstOrDefault(),
            query["description"].FirstOrDefault() ?? "", query["alias"].FirstOrDefault());
        if (request.Alias is not null)
            Names.ValidateAlias("alias", request.Alias);
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = null;

        Image? image = null;
        Exception? failure = null;
        var operation = await operations.StartAsync($"Importing image{(request.Alias is null ? "" : $" {request.Alias}")}", ["/1.0/images"],
            mayCancel: true, async ct =>
            {
                try
                {
                    image = MultipartBoundary(context.Request) is { } boundary
                        ? await ImportKernelAsync(context.Request, boundary, store, request, ct)
                        : await store.ImportAsync(context.Request.Body, request, ct);
                }
                catch (Exception e)
                {
                    failure = e;
                    throw;
                }
            }, context.RequestAborted);
        var final = await operations.WaitAsync(operation.Id, Timeout.InfiniteTimeSpan, CancellationToken.None);
        if (final.Status == OperationStatus.Cancelled)
            throw new VesselException(499, $"the import was cancelled (operation {final.Id})");
        if (failure is not null)
            ExceptionDispatchInfo.Throw(failure);
        events.Lifecycle("image-created", $"/1.0/images/{image!.Fingerprint}");
        return Http.Json(image, VesselJson.Wire.Image, 201);
    }

    private static string? MultipartBoundary(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) ||
            !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            if (request.Query.ContainsKey("cmdline"))
                throw new BadRequestException("cmdline: only a kernel uploaded with its initramfs (multipart/form-data) takes a command line");
            return null;
        }
        return HeaderUtilities.RemoveQuotes(type.Boundary).Value is { Length: > 0 } boundary
            ? boundary
            : throw new BadRequestException("Content-Type: multipart/form-data without a boundary");
    }

    /// <summary>The next part; a body that is no whole multipart/form-data (cut short, another boundary, headers over 16 KiB) is the client's error.</summary>
    private static async Task<MultipartSection?> NextPartAsync(MultipartReader reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadNextSectionAsync(cancellationToken);
        }
        catch (Exception e) when (e is IOException or InvalidDataException && !cancellationToken.IsCancellationRequested)
        {
            throw new BadRequestException($"the upload is no whole multipart/form-data body: {e.Message}");
        }
    }

    /// <summary>The parts are written to a work directory of the store's, which goes when the import has ended.</summary>
    private static async Task<Image> ImportKernelAsync(HttpRequest http, string boundary, ImageStore store, ImageImport request,
        CancellationToken cancellationToken)
    {
        string[] names = ["kernel", "initrd", "disk"];
        var work = store.NewWorkDirectory();
        try
        {
            var parts = new Dictionary<string, string>(StringComparer.Ordinal);
            var reader = new MultipartReader(boundary, http.Body);
            while (await NextPartAsync(reader, cancellationToken) is { } section)
            {
                var name = section.GetContentDispositionHeader()?.Name.Value?.Trim('"');
                if (name is null || !names.Contains(name))
                    throw new BadRequestException($"the upload has a part \"{name}\"; a kernel image is uploaded as the parts {string.Join(", ", names)} (disk optional)");
                if (parts.ContainsKey(name))
                    throw new BadRequestException($"the upload has the part \"{name}\" twice");
                parts[name] = Path.Combine(work, name);
                await using var file = File.Create(parts[name]);
                try
                {
                    await section.Body.CopyToAsync(file, cancellationToken);
                }
                catch (IOException e) when (!StorageFullException.IsCause(e) && !cancellationToken.IsCancellationRequested)
                {
                    throw new BadRequestException($"the upload's part \"{name}\" is cut short: {e.Message}");
                }
            }
            foreach (var required in names[..2].Where(n => !parts.ContainsKey(n)))
                throw new BadRequestException($"the upload has no part \"{required}\"; a kernel image needs a kernel and an initramfs");
            return await store.ImportKernelAsync(parts["kernel"], parts["initrd"], parts.GetValueOrDefault("disk"),
                http.Query["cmdline"].FirstOrDefault(), request, cancellationToken);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Builds a known image as an operation: busybox from the host's busybox-static, debian with mmdebstrap.</summary>
    private static async Task<IResult> BuildAsync(HttpRequest request, ImageStore store, OperationManager operations, EventHub events,
        DaemonOptions daemon)
    {
        var body = await Http.ReadJsonAsync(request, VesselJson.Wire.ImageBuildPost);
        var architecture = ImageStore.ArchitectureOrHost(body.Architecture);
        if (architecture != ImageStore.HostArchitecture && (body.Name, body.Type) != ("busybox", InstanceType.VirtualMachine))
            throw new NotSupportedYetException($"architecture: of the {architecture} images only busybox --vm can be built yet " +
                "(containers run only this host's architecture, and a foreign Debian tree needs qemu-user emulation for its maintainer scripts)");
        var debian = new DebianImageOptions
        {
            Suite = body.Suite ?? "bookworm",
            Include = body.Include ?? [],
            CacheDirectory = Path.Combine(daemon.StateDirectory, "cache", "debian"),
        };
        Func<string, CancellationToken, Task<string>> build = (body.Name, body.Type) switch
        {
            ("busybox", InstanceType.Container) => BusyboxImage.BuildAsync,
            ("busybox", InstanceType.VirtualMachine) => (work, ct) => BusyboxVmImage.BuildAsync(work, architecture, ct),
            ("debian", InstanceType.Container) => (work, ct) => DebianImage.BuildAsync(work, debian, ct),
            ("debian", InstanceType.VirtualMachine) => (work, ct) => DebianVmImage.BuildAsync(work, debian, ct),
            _ => throw new BadRequestException($"name: \"{body.Name}\" is not an image Vessel can build (busybox, debian)"),
        };
        var operation = await operations.StartAsync($"Building image {body.Name}", ["/1.0/images"], mayCancel: true, async ct =>
        {
            var work = store.NewWorkDirectory();
            try
            {
                var file = await build(work, ct);
                var image = await store.ImportBuiltAsync(file, new ImageImport(body.Type, architecture, $"{body.Alias} built on this host", body.Alias, ReplaceAlias: true), ct);
                events.Lifecycle("image-created", $"/1.0/images/{image.Fingerprint}");
            }
            finally
            {
                Directory.Delete(work, recursive: true);
            }
        });
        return Http.Accepted(operation);
    }

    private static async Task<IResult> CreateAliasAsync(HttpRequest request, ImageStore images, IStateStore store, EventHub events, CancellationToken ct)
    {
        var body = await Http.ReadJsonAsync(request, VesselJson.Wire.ImageAliasPost);
        Names.ValidateAlias("name", body.Name);
        var target = body.Target ?? throw new BadRequestException("target: the image fingerprint or alias to point at is required");
        var image = await images.ResolveAsync(target, TypeOf(request), ct);
        var alias = new ImageAlias(body.Name!, image.Type, image.Fingerprint, body.Description ?? "");
        await store.SetAliasAsync(alias, replace: false, ct);
        events.Lifecycle("image-alias-created", $"/1.0/images/aliases/{alias.Name}");
        return Http.Json(alias, VesselJson.Wire.ImageAlias, 201);
    }
}
