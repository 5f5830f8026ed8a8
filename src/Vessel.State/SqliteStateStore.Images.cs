using Microsoft.Data.Sqlite;
using Vessel.Core;
using Vessel.Core.Model;

namespace Vessel.State;

public sealed partial class SqliteStateStore
{
    private const string ImageColumns = "fingerprint, type, architecture, format, filename, size, description, created_at";

    public Task<IReadOnlyList<Image>> ListImagesAsync(CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<Image>>(c => WithAliases(c, Query(c, null, $"SELECT {ImageColumns} FROM images ORDER BY created_at", ReadImage)),
            cancellationToken);

    public Task<Image?> GetImageAsync(string fingerprint, CancellationToken cancellationToken = default) =>
        ReadAsync(c => WithAliases(c, Query(c, null, $"SELECT {ImageColumns} FROM images WHERE fingerprint = $f", ReadImage, ("$f", fingerprint)))
            .SingleOrDefault(), cancellationToken);

    private static List<Image> WithAliases(SqliteConnection connection, List<Image> images)
    {
        if (images.Count == 0)
            return images;
        var aliases = Query(connection, null, "SELECT fingerprint, name FROM image_aliases ORDER BY name", r => (Fingerprint: r.GetString(0), Name: r.GetString(1)))
            .ToLookup(a => a.Fingerprint, a => a.Name);
        return images.ConvertAll(i => i with { Aliases = [.. aliases[i.Fingerprint]] });
    }

    private static Image ReadImage(SqliteDataReader r) => new()
    {
        Fingerprint = r.GetString(0),
        Type = InstanceTypes.Parse(r.GetString(1)),
        Architecture = r.GetString(2),
        Format = r.GetString(3),
        Filename = r.GetString(4),
        Size = r.GetInt64(5),
        Description = r.GetString(6),
        CreatedAt = Time(r, 7),
    };

    public Task CreateImageAsync(Image image, CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) => Execute(c, t,
            $"INSERT INTO images ({ImageColumns}) VALUES ($f, $type, $arch, $format, $file, $size, $desc, $created)",
            ("$f", image.Fingerprint), ("$type", image.Type.Name()), ("$arch", image.Architecture), ("$format", image.Format),
            ("$file", image.Filename), ("$size", image.Size), ("$desc", image.Description), ("$created", Time(image.CreatedAt))),
            cancellationToken, () => $"image {image.Fingerprint[..12]} already exists");

    public Task DeleteImageAsync(string fingerprint, CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) =>
        {
            var users = Query(c, t, "SELECT name FROM instances WHERE image = $f ORDER BY name", r => r.GetString(0), ("$f", fingerprint));
            if (users.Count > 0)
                throw new ConflictException($"image {fingerprint[..12]} is used by instance(s) {string.Join(", ", users)}");
            if (Execute(c, t, "DELETE FROM images WHERE fingerprint = $f", ("$f", fingerprint)) == 0)
                throw new NotFoundException($"image {fingerprint[..Math.Min(12, fingerprint.Length)]} not found");
        }, cancellationToken);

    public Task<IReadOnlyList<ImageAlias>> ListAliasesAsync(CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<ImageAlias>>(c => Query(c, null, "SELECT name, type, fingerprint, description FROM image_aliases ORDER BY name, type",
            r => new ImageAlias(r.GetString(0), InstanceTypes.Parse(r.GetString(1)), r.GetString(2), r.GetString(3))), cancellationToken);

    public Task SetAliasAsync(ImageAlias alias, bool replace = true, CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) =>
        {
            if (Scalar(c, t, "SELECT 1 FROM images WHERE fingerprint = $f", ("$f", alias.Fingerprint)) is null)
                throw new NotFoundException($"image {alias.Fingerprint[..Math.Min(12, alias.Fingerprint.Length)]} not found");
            if (!replace && Scalar(c, t, "SELECT 1 FROM image_aliases WHERE name = $n AND type = $type", ("$n", alias.Name), ("$type", alias.Type.Name())) is not null)
                throw ImageAlias.Taken(alias.Name);
            Execute(c, t,
                "INSERT INTO image_aliases (name, type, fingerprint, description) VALUES ($n, $type, $f, $d) " +
                "ON CONFLICT (name, type) DO UPDATE SET fingerprint = excluded.fingerprint, description = excluded.description",
                ("$n", alias.Name), ("$type", alias.Type.Name()), ("$f", alias.Fingerprint), ("$d", alias.Description));
        }, cancellationToken);

    public Task DeleteAliasAsync(string name, InstanceType type, CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) =>
        {
            if (Execute(c, t, "DELETE FROM image_aliases WHERE name = $n AND type = $type", ("$n", name), ("$type", type.Name())) == 0)
                throw new NotFoundException($"image alias \"{name}\" ({type.Name()}) not found");
        }, cancellationToken);
}
