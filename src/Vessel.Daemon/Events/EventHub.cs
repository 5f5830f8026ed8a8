using System.Threading.Channels;
using Vessel.Core.Api;
using Vessel.Core.Model;

namespace Vessel.Daemon.Events;

/// <summary>Fans lifecycle and operation events out to every listener of /1.0/events.</summary>
public sealed class EventHub
{
    private readonly Lock _lock = new();
    private readonly List<Channel<Event>> _listeners = [];

    public ChannelReader<Event> Subscribe(CancellationToken until)
    {
        // A slow listener loses its oldest events rather than holding the daemon back.
        var channel = Channel.CreateBounded<Event>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest });
        lock (_lock)
            _listeners.Add(channel);
        until.Register(() =>
        {
            lock (_lock)
                _listeners.Remove(channel);
            channel.Writer.TryComplete();
        });
        return channel.Reader;
    }

    public void Lifecycle(string action, string source) =>
        Publish(new Event { Type = "lifecycle", Timestamp = DateTimeOffset.UtcNow, Action = action, Source = source });

    public void OperationChanged(Operation operation) =>
        Publish(new Event { Type = "operation", Timestamp = DateTimeOffset.UtcNow, Operation = operation });

    private void Publish(Event e)
    {
        lock (_lock)
        {
            foreach (var listener in _listeners)
                listener.Writer.TryWrite(e);
        }
    }
}
