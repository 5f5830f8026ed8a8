using System.Diagnostics;
using System.Globalization;
using System.Text;
using Vessel.Core;
using Vessel.Core.Api;
using Vessel.Core.Model;
using Vessel.Core.State;
using Vessel.Daemon.Instances;

namespace Vessel.Daemon.Api;

/// <summary>Counts answered requests by status class, for /1.0/metrics.</summary>
public sealed class RequestCounters
{
    private readonly long[] _byClass = new long[6];

    public void Count(int status) => Interlocked.Increment(ref _byClass[Math.Clamp(status / 100, 0, 5)]);

    public long this[int statusClass] => Interlocked.Read(ref _byClass[statusClass]);
}

/// <summary>GET /1.0/metrics in the Prometheus text format: the daemon's own figures and each running instance's usage.</summary>
internal static class MetricsApi
{
    private static readonly DateTimeOffset Started = DateTimeOffset.UtcNow;

    public static void Map(IEndpointRouteBuilder api) => api.MapGet("/metrics",
        async (IStateStore store, InstanceService instances, StoragePools pools, RequestCounters requests, CancellationToken ct) =>
        {
            var text = new StringBuilder();
            var process = Process.GetCurrentProcess();
            Metric(text, "vessel_daemon_uptime_seconds", "gauge", "Seconds since vesseld started.",
                [("", (DateTimeOffset.UtcNow - Started).TotalSeconds)]);
            Metric(text, "vessel_daemon_resident_memory_bytes", "gauge", "Resident memory of vesseld.", [("", process.WorkingSet64)]);
            Metric(text, "vessel_daemon_gc_heap_bytes", "gauge", "Managed heap of vesseld.", [("", GC.GetTotalMemory(false))]);
            Metric(text, "vessel_daemon_threads", "gauge", "Threads of vesseld.", [("", process.Threads.Count)]);
            Metric(text, "vessel_api_requests_total", "counter", "API requests answered, by status class.",
                [.. Enumerable.Range(1, 5).Select(c => ($"code=\"{c}xx\"", (double)requests[c]))]);

            var operations = await store.ListOperationsAsync(ct);
            Metric(text, "vessel_operations", "gauge", "Operations the store keeps, by status.",
                [.. Enum.GetValues<OperationStatus>().Select(s => ($"status=\"{s}\"", (double)operations.Count(o => o.Status == s)))]);

            var all = await store.ListInstancesAsync(ct);
            Metric(text, "vessel_instances", "gauge", "Instances, by type and status.",
                [.. from type in Enum.GetValues<InstanceType>()
                    from status in Enum.GetValues<InstanceStatus>()
                    select ($"type=\"{type.Name()}\",status=\"{status}\"", (double)all.Count(i => i.Type == type && i.Status == status))]);

            var images = await store.ListImagesAsync(ct);
            Metric(text, "vessel_images", "gauge", "Images in the image store.", [("", images.Count)]);
            Metric(text, "vessel_image_bytes", "gauge", "Bytes of image files in the image store.", [("", images.Sum(i => i.Size))]);

            var usage = new List<(string Pool, PoolUsage Usage)>();
            foreach (var pool in await store.ListPoolsAsync(ct))
                usage.Add((pool.Name, await pools.Driver(pool).GetUsageAsync(pool, ct)));
            Metric(text, "vessel_storage_pool_used_bytes", "gauge", "Used bytes of the filesystem under each pool.",
                [.. usage.Select(u => ($"pool=\"{u.Pool}\"", (double)u.Usage.UsedBytes))]);
            Metric(text, "vessel_storage_pool_size_bytes", "gauge", "Size of the filesystem under each pool.",
                [.. usage.Select(u => ($"pool=\"{u.Pool}\"", (double)u.Usage.TotalBytes))]);

            var measured = new List<(string Labels, InstanceUsage Usage)>();
            foreach (var instance in all) // a stopped instance uses no CPU, but its disk fills its pool
            {
                InstanceStateView state;
                try
                {
                    state = await instances.GetStateAsync(instance.Name, ct);
                }
                catch (Exception e) when (e is VesselException or TimeoutException or IOException)
                {
                    continue; // deleted meanwhile, or its engine or pool does not answer: the others' metrics stay whole
                }
                if (state.Usage is not null)
                    measured.Add(($"name=\"{instance.Name}\",type=\"{instance.Type.Name()}\"", state.Usage));
            }
            InstanceMetric(text, measured, "vessel_instance_cpu_seconds_total", "counter", "CPU time used.", u => u.CpuSeconds);
            InstanceMetric(text, measured, "vessel_instance_memory_bytes", "gauge", "Memory used.", u => u.MemoryBytes);
            InstanceMetric(text, measured, "vessel_instance_processes", "gauge", "Processes running.", u => u.Processes);
            InstanceMetric(text, measured, "vessel_instance_disk_bytes", "gauge", "Bytes the root disk occupies in its pool beyond its image, snapshots included (shared blocks: see the README).", u => u.DiskBytes);
            InstanceMetric(text, measured, "vessel_instance_network_receive_bytes_total", "counter", "Bytes received.", u => u.NetworkRxBytes);
            InstanceMetric(text, measured, "vessel_instance_network_transmit_bytes_total", "counter", "Bytes sent.", u => u.NetworkTxBytes);
            return Results.Text(text.ToString(), "text/plain; version=0.0.4");
        });

    private static void InstanceMetric(StringBuilder text, List<(string Labels, InstanceUsage Usage)> measured, string name, string type,
        string help, Func<InstanceUsage, double?> value) =>
        Metric(text, name, type, help, [.. measured.Where(m => value(m.Usage) is not null).Select(m => (m.Labels, value(m.Usage)!.Value))]);

    private static void Metric(StringBuilder text, string name, string type, string help, IReadOnlyList<(string Labels, double Value)> samples)
    {
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
        text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        foreach (var (labels, value) in samples)
        {
            text.Append(name);
            if (labels.Length > 0)
                text.Append('{').Append(labels).Append('}');
            text.Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }
    }

    private static void Metric(StringBuilder text, string name, string type, string help, IReadOnlyList<(string Labels, long Value)> samples) =>
        Metric(text, name, type, help, [.. samples.Select(s => (s.Labels, (double)s.Value))]);
}
