using System.Security.Cryptography;
using System.Text.Json;
using Vessel.Core;
using Vessel.Core.Api;
using Vessel.Core.Model;
using Vessel.State;

namespace Vessel.Storage.Tests;

public sealed class ImageStoreTests : IDisposable
{
    private static readonly DateTimeOffset Epoch = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private readonly TempDirectory _temp = new();
    private readonly SqliteStateStore _state;
    private readonly ImageStore _images;

    public ImageStoreTests()
    {
        _state = new SqliteStateStore(_temp.Combine("vessel.db"));
        _images = new ImageStore(ImagesDirectory, _state);
    }

    public void Dispose()
    {
        _state.Dispose();
        _temp.Dispose();
    }

    private string ImagesDirectory => _temp.Combine("images");

    private string StagingDirectory => Path.Combine(ImagesDirectory, ".staging");

    private static ImageImport Request(string? alias = null, InstanceType? type = null, string? architecture = "x86_64") =>
        new(type, architecture, "test image", alias);

    /// <summary>A real tarball with a directory and a file, made in memory.</summary>
    private static byte[] RootfsTar(string hostname = "web")
    {
        using var stream = new MemoryStream();
        using (var writer = new System.Formats.Tar.TarWriter(stream, System.Formats.Tar.TarEntryFormat.Ustar, leaveOpen: true))
        {
            writer.WriteEntry(new System.Formats.Tar.UstarTarEntry(System.Formats.Tar.TarEntryType.Directory, "etc/"));
            writer.WriteEntry(new System.Formats.Tar.UstarTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "etc/hostname")
            {
                DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(hostname + "\n")),
            });
        }
        return stream.ToArray();
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private Task<Image> ImportAsync(byte[] bytes, ImageImport? request = null, CancellationToken cancellationToken = default) =>
        _images.ImportAsync(new MemoryStream(bytes), request ?? Request(), cancellationToken);

    /// <summary>Nothing of a failed import is left: no staging entry, no image directory, no row.</summary>
    private async Task AssertNothingImportedAsync()
    {
        Assert.Empty(await _state.ListImagesAsync());
        Assert.Empty(await _state.ListAliasesAsync());
        if (Directory.Exists(StagingDirectory))
            Assert.Empty(Directory.EnumerateFileSystemEntries(StagingDirectory));
        if (Directory.Exists(ImagesDirectory))
            Assert.All(Directory.EnumerateFileSystemEntries(ImagesDirectory), e => Assert.Equal(".staging", Path.GetFileName(e)));
    }

    private async Task<Image> AddRowAsync(string fingerprint, InstanceType type = InstanceType.Container)
    {
        var image = new Image
        {
            Fingerprint = fingerprint,
            Type = type,
            Architecture = "x86_64",
            Format = type == InstanceType.Container ? "tar" : "qcow2",
            Filename = type == InstanceType.Container ? "rootfs.tar" : "disk.qcow2",
            Size = 1,
            CreatedAt = Epoch,
        };
        await _state.CreateImageAsync(image);
        return image;
    }

    [Fact]
    public async Task Import_Tar_StoresItUnderItsSha256()
    {
        var tar = RootfsTar();

        var image = await ImportAsync(tar, Request(alias: "debian/12"));

        Assert.Equal(Sha256(tar), image.Fingerprint);
        Assert.Equal(InstanceType.Container, image.Type);
        Assert.Equal("tar", image.Format);
        Assert.Equal("rootfs.tar", image.Filename);
        Assert.Equal(tar.Length, image.Size);
        Assert.Equal("x86_64", image.Architecture);
        Assert.Equal("test image", image.Description);
        Assert.Equal(["debian/12"], image.Aliases);
        var path = Path.Combine(ImagesDirectory, image.Fingerprint, "rootfs.tar");
        Assert.Equal(path, _images.ImagePath(image));
        Assert.Equal(tar, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task Import_FileIsReadOnly_AndMetadataDescribesIt()
    {
        var image = await ImportAsync(RootfsTar());
        var directory = Path.Combine(ImagesDirectory, image.Fingerprint);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(_images.ImagePath(image)));
        Assert.Equal(["metadata.json", "rootfs.tar"], Directory.EnumerateFiles(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var metadata = JsonSerializer.Deserialize(await File.ReadAllTextAsync(Path.Combine(directory, "metadata.json")), VesselJson.Wire.Image);
        Assert.NotNull(metadata);
        Assert.Equal(image, metadata with { Aliases = image.Aliases });
    }

    [Fact]
    public async Task Import_RecordsTheImageAndItsAlias()
    {
        var image = await ImportAsync(RootfsTar(), Request(alias: "debian"));

        var stored = await _state.GetImageAsync(image.Fingerprint);
        Assert.Equal(image with { CreatedAt = stored!.CreatedAt, Aliases = stored.Aliases }, stored);
        Assert.Equal(["debian"], stored.Aliases);
        Assert.Equal(new ImageAlias("debian", InstanceType.Container, image.Fingerprint, ""), Assert.Single(await _state.ListAliasesAsync()));
        Assert.Empty(Directory.EnumerateFileSystemEntries(StagingDirectory));
    }

    [Fact]
    public async Task Import_WithoutAlias_SetsNone()
    {
        var image = await ImportAsync(RootfsTar());

        Assert.Empty(image.Aliases);
        Assert.Empty(await _state.ListAliasesAsync());
    }

    [Fact]
    public async Task Import_OciLayoutTarball_IsAContainerImageStoredAsIs()
    {
        var layout = new Images.OciLayoutBuilder(_temp.Combine("layout"));
        layout.Index(layout.Manifest(layout.Layer(RootfsTar())));
        var tar = layout.ToTar();

        var image = await ImportAsync(tar, Request(alias: "app"));

        Assert.Equal(("oci", InstanceType.Container, "oci.tar"), (image.Format, image.Type, image.Filename));
        Assert.Equal(Sha256(tar), image.Fingerprint);
        Assert.Equal(tar, await File.ReadAllBytesAsync(_images.ImagePath(image)));
        var root = _temp.Combine("root");
        await Vessel.Storage.Images.OciLayout.ExtractAsync(_images.ImagePath(image), root, new Vessel.Storage.Images.ExtractOptions(), CancellationToken.None);
        Assert.Equal("web\n", await File.ReadAllTextAsync(Path.Combine(root, "etc", "hostname")));
    }

    [Fact]
    public async Task Import_CompressedRootfs_KeepsItsFormat()
    {
        var zst = Images.RootfsExtractorFormatTests.Compress(RootfsTar(), "tar.zst");

        var image = await ImportAsync(zst);

        Assert.Equal(("tar.zst", "rootfs.tar.zst"), (image.Format, image.Filename));
    }

    [Fact]
    public async Task Import_TarballThatIsNeitherRootfsNorOciLayout_IsRefusedAndLeavesNothing()
    {
        var tar = new Images.TarBuilder().File("home/user/notes.txt", "hello").ToArray();

        var e = await Assert.ThrowsAsync<BadRequestException>(() => ImportAsync(tar, Request(alias: "notes")));

        Assert.Equal("the tarball is neither a root filesystem (none of bin/, sbin/, usr/, etc/ at its top) " +
            "nor an OCI image layout (no oci-layout and index.json at its top)", e.Message);
        await AssertNothingImportedAsync();
    }

    [Fact]
    public async Task Import_CorruptGzip_IsRefusedAndLeavesNothing()
    {
        var e = await Assert.ThrowsAsync<BadRequestException>(() => ImportAsync([0x1f, 0x8b, 8, 0, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9]));

        Assert.StartsWith("the file is not a readable tar.gz archive: ", e.Message, StringComparison.Ordinal);
        await AssertNothingImportedAsync();
    }

    [Fact]
    public async Task Import_RawDiskForAVm()
    {
        var disk = new byte[4096];
        disk[1000] = 1;

        var image = await ImportAsync(disk, Request(type: InstanceType.VirtualMachine));

        Assert.Equal(("raw", InstanceType.VirtualMachine, "disk.raw"), (image.Format, image.Type, image.Filename));
        Assert.True(File.Exists(_images.ImagePath(image)));
    }

    [Fact]
    public async Task Import_WithATakenAlias_IsConflict_UnlessARebuildMayTakeItOver()
    {
        var first = await ImportAsync(RootfsTar("one"), Request(alias: "debian"));

        var e = await Assert.ThrowsAsync<ConflictException>(() => ImportAsync(RootfsTar("two"), Request(alias: "debian")));
        Assert.Equal("image alias \"debian\" already exists; delete it first or choose another", e.Message);
        Assert.Equal([first.Fingerprint], (await _state.ListImagesAsync()).Select(i => i.Fingerprint));
        Assert.Empty(Directory.EnumerateFileSystemEntries(StagingDirectory));
        await ImportAsync(new byte[4096], Request(alias: "debian", type: InstanceType.VirtualMachine)); // a raw disk: aliases are per type

        var rebuilt = await ImportAsync(RootfsTar("three"), Request(alias: "debian") with { ReplaceAlias = true });
        Assert.Equal(rebuilt.Fingerprint, (await _state.ListAliasesAsync()).Single(a => a.Type == InstanceType.Container).Fingerprint);
    }

    [Fact]
    public async Task Import_SameBytesTwice_IsConflictAndKeepsTheFirst()
    {
        var tar = RootfsTar();
        var first = await ImportAsync(tar, Request(alias: "debian"));

        var e = await Assert.ThrowsAsync<ConflictException>(() => ImportAsync(tar, Request(alias: "other")));

        Assert.Equal($"image {first.Fingerprint[..12]} already exists (aliases: debian)", e.Message);
        Assert.Equal(["debian"], (await _state.GetImageAsync(first.Fingerprint))!.Aliases);
        Assert.True(File.Exists(_images.ImagePath(first)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(StagingDirectory));
    }

    [Fact]
    public async Task Import_SameBytesAtOnce_OneWinsAndTheImageStaysWhole()
    {
        var tar = RootfsTar();
        // Both imports look for the image before either has stored it.
        var images = new ImageStore(ImagesDirectory, new GatedStore(_state, TimeSpan.FromSeconds(1)));

        var results = await Task.WhenAll(
            Task.Run(() => Outcome(images.ImportAsync(new MemoryStream(tar), Request(), CancellationToken.None))),
            Task.Run(() => Outcome(images.ImportAsync(new MemoryStream(tar), Request(), CancellationToken.None))));

        Assert.Single(results, r => r is Image);
        Assert.Single(results, r => r is ConflictException);
        var image = Assert.Single(await _state.ListImagesAsync());
        Assert.Equal(tar, await File.ReadAllBytesAsync(_images.ImagePath(image)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(StagingDirectory));

        static async Task<object> Outcome(Task<Image> import)
        {
            try
            {
                return await import;
            }
            catch (Exception e)
            {
                return e;
            }
        }
    }

    [Fact]
    public async Task Import_StreamFailingHalfway_LeavesNothing()
    {
        var tar = RootfsTar();

        var e = await Assert.ThrowsAsync<IOException>(() =>
            _images.ImportAsync(new FailingStream(tar, failAfter: tar.Length / 2), Request(alias: "debian"), CancellationToken.None));

        Assert.Equal("connection reset by peer", e.Message);
        await AssertNothingImportedAsync();
    }

    [Fact]
    public async Task Import_AlreadyCancelled_LeavesNothing()
    {
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            ImportAsync(RootfsTar(), Request(alias: "debian"), new CancellationToken(canceled: true)));

        await AssertNothingImportedAsync();
    }

    [Fact]
    public async Task Import_CancelledHalfway_LeavesNothing()
    {
        var tar = RootfsTar();
        using var cancel = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            _images.ImportAsync(new FailingStream(tar, failAfter: tar.Length / 2, onFailure: cancel.Cancel), Request(), cancel.Token));

        await AssertNothingImportedAsync();
    }

    [Fact]
    public async Task Import_TypeMismatch_IsRefusedAndLeavesNothing()
    {
        var e = await Assert.ThrowsAsync<BadRequestException>(() => ImportAsync(RootfsTar(), Request(type: InstanceType.VirtualMachine)));

        Assert.Equal("the tarball is not a kernel+initrd VM image: it has no vmlinuz and no initrd.img", e.Message);
        await AssertNothingImportedAsync();
    }

    /// <summary>A real qcow2 header from qemu-img: alone, over a backing file, or with its data in an external file.</summary>
    private byte[] Qcow2(string options = "")
    {
        var path = _temp.Combine($"disk-{Guid.NewGuid():N}.qcow2");
        var arguments = new List<string> { "create", "-q", "-f", "qcow2" };
        if (options.Length > 0)
            arguments.AddRange(["-o", options]);
        arguments.AddRange([path, "64M"]);
        using (var process = System.Diagnostics.Process.Start("qemu-img", arguments)!)
        {
            process.WaitForExit();
            Assert.Equal(0, process.ExitCode);
        }
        return File.ReadAllBytes(path);
    }

    /// <summary>A qcow2 written, then cut: the header reads well, the tables point past the end of the file.</summary>
    private byte[] DamagedQcow2()
    {
        var path = _temp.Combine($"written-{Guid.NewGuid():N}.qcow2");
        foreach (var (program, arguments) in new[] { ("qemu-img", $"create -q -f qcow2 {path} 64M"), ("qemu-io", $"-c \"write -P 0xab 0 1M\" {path}") })
        {
            using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(program, arguments) { RedirectStandardOutput = true })!;
            process.WaitForExit();
            Assert.Equal(0, process.ExitCode);
        }
        return File.ReadAllBytes(path)[..(400 << 10)];
    }

    [Fact]
    public async Task Import_Qcow2WithDamagedTables_IsRefusedAndLeavesNothing()
    {
        var e = await Assert.ThrowsAsync<BadRequestException>(() => ImportAsync(DamagedQcow2(), Request(type: InstanceType.VirtualMachine)));

        Assert.StartsWith("the disk is damaged (qemu-img check found corruptions): ERROR", e.Message, StringComparison.Ordinal);
        await AssertNothingImportedAsync();
    }

    [Fact]
    public async Task Import_KernelTarWhoseDiskHasDamagedTables_IsRefusedAndLeavesNothing()
    {
        var e = await Assert.ThrowsAsync<BadRequestException>(() => ImportAsync(KernelTar(DamagedQcow2()), Request(type: InstanceType.VirtualMachine)));

        Assert.StartsWith("the tarball's disk.qcow2 is damaged (qemu-img check found corruptions): ERROR", e.Message, StringComparison.Ordinal);
        await AssertNothingImportedAsync();
    }

    /// <summary>
    /// The headers of an x86 bzImage with its EFI stub (a PE file for machine 0x8664; the "HdrS" boot header, the version
    /// string's offset) and nothing else.
    /// </summary>
    private static byte[] BzImage(string version = "6.1.0-42-cloud-amd64")
    {
        var kernel = new byte[4096];
        "MZ"u8.CopyTo(kernel);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(kernel.AsSpan(0x3c), 0x80);
        "PE\0\0"u8.CopyTo(kernel.AsSpan(0x80));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(kernel.AsSpan(0x84), 0x8664);
        "HdrS"u8.CopyTo(kernel.AsSpan(0x202));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(kernel.AsSpan(0x20e), 0x600);
        System.Text.Encoding.ASCII.GetBytes($"{version} (debian-kernel@lists.debian.org) #1 SMP").CopyTo(kernel.AsSpan(0x800));
        return kernel;
    }

    private static readonly byte[] CpioInitrd = [.. "070701"u8, .. new byte[1018]];

    private static byte[] Gzip(byte[] content)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(buffer, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(content);
        return buffer.ToArray();
    }

    /// <summary>An arm64 Image's header ("ARM\x64" at 0x38), gzip-compressed as Debian ships it.</summary>
    private static byte[] GzippedArm64Image()
    {
        var image = new byte[4096];
        "ARMd"u8.CopyTo(image.AsSpan(0x38));
        return Gzip(image);
    }

    [Fact]
    public async Task ImportKernel_AGzippedArm64Image_IsAnAarch64Kernel()
    {
        var image = await _images.ImportKernelAsync(Write("Image.gz", GzippedArm64Image()), Write("initrd", Gzip(CpioInitrd)), null, null,
            Request(architecture: "aarch64"), CancellationToken.None);

        Assert.Equal(("aarch64", "kernel+initrd"), (image.Architecture, image.Format));
    }

    private string Write(string name, byte[] bytes)
    {
        var path = _temp.Combine(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public async Task ImportKernel_APairWithOrWithoutADisk_IsPackedAsAKernelImage_TheSameFilesTwiceAreOneImage()
    {
        var kernel = Write("vmlinuz-6.1", BzImage());
        var initrd = Write("initrd.img-6.1", CpioInitrd);

        var image = await _images.ImportKernelAsync(kernel, initrd, null, "console=ttyS0 quiet", Request(alias: "k"), CancellationToken.None);

        Assert.Equal((InstanceType.VirtualMachine, "kernel+initrd", "kernel.tar"), (image.Type, image.Format, image.Filename));
        var unpacked = await Vessel.Storage.Images.KernelImageLayout.ExtractAsync(_images.ImagePath(image), _temp.Combine("unpacked"), CancellationToken.None);
        Assert.Equal(File.ReadAllBytes(kernel), File.ReadAllBytes(unpacked.Kernel));
        Assert.Equal(File.ReadAllBytes(initrd), File.ReadAllBytes(unpacked.Initrd));
        using var metadata = JsonDocument.Parse(File.ReadAllBytes(unpacked.Metadata!));
        Assert.Equal("console=ttyS0 quiet", metadata.RootElement.GetProperty("cmdline").GetString());
        Assert.Equal("6.1.0-42-cloud-amd64", metadata.RootElement.GetProperty("kernel_version").GetString());
        await Assert.ThrowsAsync<ConflictException>(() => _images.ImportKernelAsync(kernel, initrd, null, "console=ttyS0 quiet", Request(), CancellationToken.None));

        var withDisk = await _images.ImportKernelAsync(kernel, initrd, Write("root.qcow2", Qcow2()), null, Request(), CancellationToken.None);
        Assert.Equal("kernel+initrd+disk", withDisk.Format);
        Assert.Empty(Directory.EnumerateFileSystemEntries(StagingDirectory));
    }

    public static TheoryData<string, string, string?, string?, string> BadKernelPairs => new()
    {
        { "initrd", "kernel", null, "x86_64", "the kernel is not an x86_64 Linux kernel: it has no bzImage boot header (\"HdrS\" at 0x202)" },
        { "kernel", "kernel", null, "x86_64", "the initramfs is neither a cpio archive nor one compressed with gzip, zstd, xz, lz4, bzip2, lzma or lzo" },
        { "kernel", "initrd", null, "aarch64", "the kernel is not an aarch64 Linux kernel (an Image, gzip-compressed or not, or an EFI zboot image)" },
        { "gzip-initrd", "initrd", null, "aarch64", "the kernel is not an aarch64 Linux kernel (an Image, gzip-compressed or not, or an EFI zboot image)" },
        { "kernel", "initrd", "raw", "x86_64", "the disk is not a qcow2 disk" },
        { "kernel", "initrd", "backing", "x86_64", "the disk names a backing file; import a qcow2 that stands alone (qemu-img convert -O qcow2)" },
        { "kernel", "initrd", "damaged", "x86_64", "the tarball's disk.qcow2 is damaged (qemu-img check found corruptions): ERROR" },
    };

    [Theory]
    [MemberData(nameof(BadKernelPairs))]
    public async Task ImportKernel_PartsThatAreNotWhatTheyClaim_AreRefusedAndLeaveNothing(string kernel, string initrd, string? disk, string? architecture, string message)
    {
        byte[] Bytes(string what) => what switch
        {
            "kernel" => BzImage(),
            "initrd" => CpioInitrd,
            "gzip-initrd" => Gzip(CpioInitrd),
            "raw" => new byte[1 << 20],
            "backing" => Qcow2("backing_file=/etc/shadow,backing_fmt=raw"),
            _ => DamagedQcow2(),
        };

        var e = await Assert.ThrowsAsync<BadRequestException>(() => _images.ImportKernelAsync(Write("k", Bytes(kernel)), Write("i", Bytes(initrd)),
            disk is null ? null : Write("d", Bytes(disk)), null, Request(architecture: architecture), CancellationToken.None));

        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
        await AssertNothingImportedAsync();
    }

    private static byte[] KernelTar(byte[]? disk)
    {
        using var stream = new MemoryStream();
        using (var writer = new System.Formats.Tar.TarWriter(stream, System.Formats.Tar.TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var (name, data) in new[] { ("vmlinuz", "kernel"u8.ToArray()), ("initrd.img", "initrd"u8.ToArray()), ("disk.qcow2", disk) })
            {
                if (data is not null)
                    writer.WriteEntry(new System.Formats.Tar.UstarTarEntry(System.Formats.Tar.TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
            }
        }
        return stream.ToArray();
    }

    [Fact]
    public async Task Import_KernelTarWithADisk_IsAKernelInitrdDiskImage()
    {
        var image = await ImportAsync(KernelTar(Qcow2()), Request(type: InstanceType.VirtualMachine));

        Assert.Equal("kernel+initrd+disk", image.Format);
        Assert.Equal("kernel.tar", image.Filename);
        Assert.Equal("kernel+initrd", (await ImportAsync(KernelTar(null), Request(type: InstanceType.VirtualMachine))).Format);
    }

    [Theory]
    [InlineData("backing_file=/etc/shadow,backing_fmt=raw", "disk.qcow2 names a backing file")]
    [InlineData("data_file=/dev/sda", "disk.qcow2 keeps its data in an external file")]
    public async Task Import_KernelTarWhoseDiskNamesAHostFile_IsRefusedAndLeavesNothing(string options, string message)
    {
        var e = await Assert.ThrowsAsync<BadRequestException>(() => ImportAsync(KernelTar(Qcow2(options)), Request(type: InstanceType.VirtualMachine)));

        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
        await AssertNothingImportedAsync();
    }

    [Fact]
    public async Task Import_Qcow2OverABackingFile_IsRefusedAndLeavesNothing()
    {
        var e = await Assert.ThrowsAsync<BadRequestException>(() => ImportAsync(Qcow2("backing_file=/etc/shadow,backing_fmt=raw")));

        Assert.Equal("the disk names a backing file; import a qcow2 that stands alone (qemu-img convert -O qcow2)", e.Message);
        await AssertNothingImportedAsync();
        Assert.Equal("qcow2", (await ImportAsync(Qcow2())).Format);
    }

    [Fact]
    public async Task Import_NotAnImage_IsRefusedAndLeavesNothing()
    {
        await Assert.ThrowsAsync<BadRequestException>(() => ImportAsync("hello world"u8.ToArray()));

        await AssertNothingImportedAsync();
    }

    [Fact]
    public async Task Import_Empty_IsRefused()
    {
        var e = await Assert.ThrowsAsync<BadRequestException>(() => ImportAsync([]));

        Assert.Equal("the image file is empty", e.Message);
        await AssertNothingImportedAsync();
    }

    [Fact]
    public async Task Import_UnknownArchitecture_IsRefused()
    {
        var e = await Assert.ThrowsAsync<BadRequestException>(() => ImportAsync(RootfsTar(), Request(architecture: "mips")));

        Assert.Equal("architecture: \"mips\" is not one of x86_64, aarch64", e.Message);
        await AssertNothingImportedAsync();
    }

    [Fact]
    public async Task Import_WithoutArchitecture_TakesTheHosts()
    {
        var image = await ImportAsync(RootfsTar(), Request(architecture: null));

        Assert.Equal(ImageStore.HostArchitecture, image.Architecture);
        Assert.Contains(image.Architecture, ImageStore.Architectures);
    }

    [Fact]
    public async Task Import_BadAlias_IsRefused()
    {
        var e = await Assert.ThrowsAsync<BadRequestException>(() => ImportAsync(RootfsTar(), Request(alias: "../x")));

        Assert.StartsWith("alias: ", e.Message, StringComparison.Ordinal);
        await AssertNothingImportedAsync();
    }

    [Fact]
    public async Task Resolve_ByAlias()
    {
        var image = await ImportAsync(RootfsTar(), Request(alias: "debian/12"));

        Assert.Equal(image.Fingerprint, (await _images.ResolveAsync("debian/12", null, CancellationToken.None)).Fingerprint);
        Assert.Equal(image.Fingerprint, (await _images.ResolveAsync("debian/12", InstanceType.Container, CancellationToken.None)).Fingerprint);
    }

    [Fact]
    public async Task Resolve_ByAliasOfTheOtherTypeOnly_IsNotFound()
    {
        await ImportAsync(RootfsTar(), Request(alias: "debian"));

        var e = await Assert.ThrowsAsync<NotFoundException>(() => _images.ResolveAsync("debian", InstanceType.VirtualMachine, CancellationToken.None));

        Assert.Equal("image \"debian\" not found for virtual-machine instances (see vessel image list)", e.Message);
    }

    [Fact]
    public async Task Resolve_AliasOfBothTypes_NeedsTheType()
    {
        var container = await AddRowAsync(new string('a', 64));
        var vm = await AddRowAsync(new string('b', 64), InstanceType.VirtualMachine);
        await _state.SetAliasAsync(new ImageAlias("debian", InstanceType.Container, container.Fingerprint, ""));
        await _state.SetAliasAsync(new ImageAlias("debian", InstanceType.VirtualMachine, vm.Fingerprint, ""));

        var e = await Assert.ThrowsAsync<BadRequestException>(() => _images.ResolveAsync("debian", null, CancellationToken.None));

        Assert.Contains("names both a container and a virtual-machine image", e.Message, StringComparison.Ordinal);
        Assert.Equal(vm.Fingerprint, (await _images.ResolveAsync("debian", InstanceType.VirtualMachine, CancellationToken.None)).Fingerprint);
        Assert.Equal(container.Fingerprint, (await _images.ResolveAsync("debian", InstanceType.Container, CancellationToken.None)).Fingerprint);
    }

    [Fact]
    public async Task Resolve_ByUniquePrefix()
    {
        var image = await ImportAsync(RootfsTar());

        Assert.Equal(image.Fingerprint, (await _images.ResolveAsync(image.Fingerprint[..8], null, CancellationToken.None)).Fingerprint);
        Assert.Equal(image.Fingerprint, (await _images.ResolveAsync(image.Fingerprint, InstanceType.Container, CancellationToken.None)).Fingerprint);
    }

    [Fact]
    public async Task Resolve_PrefixShorterThanEightDigits_IsNotFound()
    {
        var image = await ImportAsync(RootfsTar());

        await Assert.ThrowsAsync<NotFoundException>(() => _images.ResolveAsync(image.Fingerprint[..7], null, CancellationToken.None));
    }

    [Fact]
    public async Task Resolve_AmbiguousPrefix_AsksForMoreDigits()
    {
        await AddRowAsync("abcdef01" + new string('1', 56));
        await AddRowAsync("abcdef01" + new string('2', 56));

        var e = await Assert.ThrowsAsync<BadRequestException>(() => _images.ResolveAsync("abcdef01", null, CancellationToken.None));

        Assert.Equal("fingerprint prefix \"abcdef01\" matches 2 images; give more digits", e.Message);
        Assert.EndsWith("2", (await _images.ResolveAsync("abcdef012", null, CancellationToken.None)).Fingerprint, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_PrefixOfTheWrongType_IsRefused()
    {
        var image = await ImportAsync(RootfsTar());

        var e = await Assert.ThrowsAsync<BadRequestException>(() =>
            _images.ResolveAsync(image.Fingerprint[..12], InstanceType.VirtualMachine, CancellationToken.None));

        Assert.Equal($"image {image.Fingerprint[..12]} is a container image, not a virtual-machine image", e.Message);
    }

    [Theory]
    [InlineData("ubuntu")]
    [InlineData("0000000000")]
    public async Task Resolve_Unknown_IsNotFound(string reference)
    {
        await ImportAsync(RootfsTar(), Request(alias: "debian"));

        var e = await Assert.ThrowsAsync<NotFoundException>(() => _images.ResolveAsync(reference, null, CancellationToken.None));

        Assert.Equal($"image \"{reference}\" not found (see vessel image list)", e.Message);
    }

    [Fact]
    public async Task Delete_RemovesTheDirectoryTheRowAndTheAliases()
    {
        var image = await ImportAsync(RootfsTar(), Request(alias: "debian"));
        var other = await ImportAsync(RootfsTar("other"));

        await _images.DeleteAsync(image, CancellationToken.None);

        Assert.False(Directory.Exists(Path.Combine(ImagesDirectory, image.Fingerprint)));
        Assert.Null(await _state.GetImageAsync(image.Fingerprint));
        Assert.Empty(await _state.ListAliasesAsync());
        Assert.True(File.Exists(_images.ImagePath(other)));
    }

    [Fact]
    public async Task Delete_InUse_KeepsTheFiles()
    {
        var image = await ImportAsync(RootfsTar());
        await _state.CreatePoolAsync(new StoragePool { Name = "default", Driver = "dir", Source = _temp.Combine("pool") });
        await _state.CreateInstanceAsync(new Instance { Name = "web1", Type = InstanceType.Container, Pool = "default", Image = image.Fingerprint });

        await Assert.ThrowsAsync<ConflictException>(() => _images.DeleteAsync(image, CancellationToken.None));

        Assert.True(File.Exists(_images.ImagePath(image)));
    }

    [Fact]
    public async Task RemoveLeftovers_DropsStagingAndUnknownImages_KeepsKnownOnes()
    {
        var known = await ImportAsync(RootfsTar());
        var staging = Path.Combine(StagingDirectory, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(staging);
        File.WriteAllText(Path.Combine(staging, "upload"), "half an image");
        var unknown = Path.Combine(ImagesDirectory, new string('c', 64));
        Directory.CreateDirectory(unknown);
        File.WriteAllText(Path.Combine(unknown, "rootfs.tar"), "orphan");
        var notAnImage = Path.Combine(ImagesDirectory, "notes");
        Directory.CreateDirectory(notAnImage);
        var upperCase = Path.Combine(ImagesDirectory, new string('C', 64));
        Directory.CreateDirectory(upperCase);

        var removed = await _images.RemoveLeftoversAsync(CancellationToken.None);

        Assert.Equal(new[] { staging, unknown }.Order(StringComparer.Ordinal), removed.Order(StringComparer.Ordinal));
        Assert.False(Directory.Exists(staging));
        Assert.False(Directory.Exists(unknown));
        Assert.True(File.Exists(_images.ImagePath(known)));
        Assert.True(Directory.Exists(notAnImage));
        Assert.True(Directory.Exists(upperCase));
        Assert.NotNull(await _state.GetImageAsync(known.Fingerprint));
    }

    [Fact]
    public async Task RemoveLeftovers_OnAFreshHost_CreatesTheDirectoryAndRemovesNothing()
    {
        Assert.Empty(await _images.RemoveLeftoversAsync(CancellationToken.None));
        Assert.True(Directory.Exists(ImagesDirectory));
    }
}
