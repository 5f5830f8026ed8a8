namespace Vessel.Core;

/// <summary>
/// Collects the undo of every step that changed the host. Dispose runs them in reverse order unless
/// Success() was called: a failed create leaves nothing behind.
/// </summary>
public sealed class Reverter : IAsyncDisposable
{
    private readonly Stack<Func<Task>> _undo = new();
    private bool _succeeded;

    public void Add(Func<Task> undo) => _undo.Push(undo);

    public void Add(Action undo) => _undo.Push(() => { undo(); return Task.CompletedTask; });

    public void Success() => _succeeded = true;

    public async ValueTask DisposeAsync()
    {
        if (_succeeded)
            return;
        while (_undo.TryPop(out var undo))
        {
            try
            {
                await undo();
            }
            catch
            {
                // Keep undoing the rest; the original failure is what the caller reports.
            }
        }
    }
}
