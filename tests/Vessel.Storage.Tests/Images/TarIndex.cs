using System.Formats.Tar;
using System.Text;

namespace Vessel.Storage.Tests.Images;

/// <summary>A tarball's entries by path ("./usr/" becomes "usr"), with symbolic links resolved as a chroot would.</summary>
internal sealed class TarIndex
{
    public sealed record Item(string Name, TarEntryType Type, string LinkName, long Length, int Uid, int Gid);

    private readonly string _path;

    private TarIndex(string path, Dictionary<string, Item> items) => (_path, Items) = (path, items);

    public IReadOnlyDictionary<string, Item> Items { get; }

    public static async Task<TarIndex> ReadAsync(string path)
    {
        var items = new Dictionary<string, Item>(StringComparer.Ordinal);
        await using var reader = new TarReader(File.OpenRead(path));
        while (await reader.GetNextEntryAsync() is { } entry)
        {
            var name = Normalize(entry.Name);
            Assert.False(items.ContainsKey(name), $"{name} is in the tarball twice");
            items[name] = new Item(name, entry.EntryType, entry.LinkName, entry.Length, entry.Uid, entry.Gid);
        }
        return new TarIndex(path, items);
    }

    public static string Normalize(string name) => name.StartsWith("./", StringComparison.Ordinal) ? name[2..].TrimEnd('/') : name.TrimEnd('/');

    /// <summary>The entry a path names once every symbolic link on the way is followed (absolute targets from the root).</summary>
    public Item Resolve(string path)
    {
        var parts = new Queue<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries));
        var current = new List<string>();
        for (var hops = 0; parts.Count > 0; )
        {
            var part = parts.Dequeue();
            if (part == ".")
                continue;
            if (part == "..")
            {
                if (current.Count > 0)
                    current.RemoveAt(current.Count - 1);
                continue;
            }
            current.Add(part);
            var name = string.Join('/', current);
            Assert.True(Items.TryGetValue(name, out var item), $"{path}: {name} is not in the tarball");
            if (item.Type == TarEntryType.SymbolicLink)
            {
                Assert.True(++hops < 40, $"{path}: too many symbolic links");
                current.RemoveAt(current.Count - 1);
                if (item.LinkName.StartsWith('/'))
                    current.Clear();
                parts = new Queue<string>(item.LinkName.Split('/', StringSplitOptions.RemoveEmptyEntries).Concat(parts));
            }
        }
        return Items[string.Join('/', current)];
    }

    /// <summary>A regular file's content as text, after resolving symbolic links.</summary>
    public async Task<string> ReadTextAsync(string path)
    {
        var target = Resolve(path);
        Assert.Equal(TarEntryType.RegularFile, target.Type);
        await using var reader = new TarReader(File.OpenRead(_path));
        while (await reader.GetNextEntryAsync() is { } entry)
        {
            if (Normalize(entry.Name) != target.Name)
                continue;
            if (entry.DataStream is null)
                return "";
            using var text = new StreamReader(entry.DataStream, Encoding.UTF8);
            return await text.ReadToEndAsync();
        }
        throw new InvalidOperationException($"{target.Name} vanished from {_path}");
    }
}
