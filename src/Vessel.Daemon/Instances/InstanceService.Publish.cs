using Vessel.Core;
using Vessel.Core.Api;
using Vessel.Core.Model;
using Vessel.Core.Validation;
using Vessel.Storage;

namespace Vessel.Daemon.Instances;

/// <summary>Templates: an instance or a snapshot of it, published as an image that new instances are made from.</summary>
public sealed partial class InstanceService
{
    public async Task<Operation> PublishAsync(ImagePublishPost request, CancellationToken cancellationToken)
    {
        var source = request.Source ?? throw new BadRequestException("source: the instance (or INSTANCE/SNAPSHOT) to publish is required");
        var (name, snapshot) = source.Split('/', 2) is [var n, var s] ? (n, (string?)s) : (source, null);
        if (request.Alias is not null)
            Names.ValidateAlias("alias", request.Alias);
        var instance = await ReadyAsync(name, cancellationToken);
        if (snapshot is not null)
            snapshot = (await GetSnapshotAsync(name, snapshot, cancellationToken)).Name;
        else
            CheckStopped(instance);
        if (request.Alias is not null) // and again when the image is stored
            await images.CheckAliasFreeAsync(request.Alias, instance.Type, cancellationToken);
        var driver = drivers.Get(instance.Type);
        var description = request.Description ?? $"published from {source}";
        return await OperateAsync(name, $"Publishing {source} as an image", [Path(name), "/1.0/images"], mayCancel: true, async ct =>
        {
            var current = await GetAsync(name, ct);
            if (snapshot is null) // again: a start may have come first
                CheckStopped(current);
            var work = images.NewWorkDirectory();
            try
            {
                var file = await driver.PublishAsync(await ContextAsync(current, ct), snapshot, work, ct);
                var image = await images.ImportBuiltAsync(file, new ImageImport(instance.Type, instance.Architecture, description, request.Alias), ct);
                events.Lifecycle("image-created", $"/1.0/images/{image.Fingerprint}");
            }
            finally
            {
                Directory.Delete(work, recursive: true);
            }
        });
    }

    /// <summary>An instance is published as it is only stopped: its root holds still only then.</summary>
    private static void CheckStopped(Instance instance)
    {
        if (instance.Status != InstanceStatus.Stopped)
            throw new ConflictException($"instance \"{instance.Name}\" is {instance.Status}; stop it to publish it, or publish one of its snapshots");
    }
}
