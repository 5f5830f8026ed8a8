using System.Globalization;
using Vessel.Core;
using Vessel.Core.Api;
using Vessel.Core.State;
using Vessel.Daemon.Operations;

namespace Vessel.Daemon.Api;

/// <summary>/1.0/operations: list, get, wait and cancel.</summary>
internal static class OperationsApi
{
    public static void Map(IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/operations");
        group.MapGet("", async (IStateStore store, CancellationToken ct) =>
            Http.Json((await store.ListOperationsAsync(ct)).ToList(), VesselJson.Wire.ListOperation));
        group.MapGet("/{id}", async (string id, OperationManager operations, CancellationToken ct) =>
            Http.Json(await operations.GetAsync(id, ct), VesselJson.Wire.Operation));
        group.MapGet("/{id}/wait", async (string id, HttpRequest request, OperationManager operations, CancellationToken ct) =>
        {
            var timeout = Timeout.InfiniteTimeSpan;
            if (request.Query.TryGetValue("timeout", out var text))
            {
                if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds) || seconds < -1)
                    throw new BadRequestException($"timeout: \"{text}\" is not a number of seconds (-1 waits forever)");
                timeout = seconds < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(seconds);
            }
            return Http.Json(await operations.WaitAsync(id, timeout, ct), VesselJson.Wire.Operation);
        });
        group.MapDelete("/{id}", async (string id, OperationManager operations, CancellationToken ct) =>
            Http.Json(await operations.CancelAsync(id, ct), VesselJson.Wire.Operation));
    }
}
