using System.Formats.Tar;
using TarReader = SemanticMIM.Data.Shards.TarReader;
using TarWriter = SemanticMIM.Data.Shards.TarWriter;

namespace SemanticMIM.Data.Tests;

public class TarTests
{
    private static readonly (string Name, byte[] Data)[] Entries =
    [
        ("a.cls", "3"u8.ToArray()),
        ("a.png", Enumerable.Range(0, 1500).Select(i => (byte)i).ToArray()),
        ("b.seg.png", new byte[512]),
        ("empty.txt", []),
        (string.Join('/', Enumerable.Repeat("folder", 20)) + "/long_name.jpg", [1, 2, 3]),
    ];

    private static byte[] Archive()
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, leaveOpen: true))
            foreach (var (name, data) in Entries)
                writer.Write(name, data);
        return buffer.ToArray();
    }

    [Fact]
    public void Archive_is_block_aligned_and_ends_with_two_zero_blocks()
    {
        var archive = Archive();

        var expected = Entries.Sum(e => TarWriter.EntrySize(e.Data.Length)) + TarWriter.EndOfArchiveSize;
        Assert.Equal(expected, archive.Length);
        Assert.Equal(0, archive.Length % 512);
        Assert.All(archive[^1024..], b => Assert.Equal(0, b));
        Assert.Equal("ustar\000"u8.ToArray(), archive[257..265]);
    }

    [Fact]
    public void Round_trip_gives_back_names_and_bytes()
    {
        var read = TarReader.Read(new MemoryStream(Archive())).ToList();

        Assert.Equal(Entries.Select(e => e.Name), read.Select(e => e.Name));
        for (var i = 0; i < Entries.Length; i++)
            Assert.Equal(Entries[i].Data, read[i].Data);
    }

    [Fact]
    public void The_framework_tar_reader_accepts_the_archive()
    {
        using var reader = new System.Formats.Tar.TarReader(new MemoryStream(Archive()));
        var names = new List<string>();
        while (reader.GetNextEntry(copyData: true) is { } entry)
        {
            Assert.Equal(TarEntryFormat.Ustar, entry.Format);
            Assert.Equal(TarEntryType.RegularFile, entry.EntryType);
            var data = new MemoryStream();
            entry.DataStream?.CopyTo(data);
            Assert.Equal(Entries[names.Count].Data, data.ToArray());
            names.Add(entry.Name);
        }

        Assert.Equal(Entries.Select(e => e.Name), names);
    }

    [Fact]
    public void Reads_archives_written_by_the_framework_and_skips_directories()
    {
        using var buffer = new MemoryStream();
        using (var writer = new System.Formats.Tar.TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "dir/"));
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "dir/x.cls") { DataStream = new MemoryStream("12"u8.ToArray()) });
        }

        var entry = Assert.Single(TarReader.Read(new MemoryStream(buffer.ToArray())));

        Assert.Equal("dir/x.cls", entry.Name);
        Assert.Equal("12"u8.ToArray(), entry.Data);
    }

    [Fact]
    public void Damaged_header_or_truncated_data_is_invalid()
    {
        var archive = Archive();
        var damaged = (byte[])archive.Clone();
        damaged[3] ^= 1;

        Assert.Contains("checksum", Assert.Throws<InvalidDataException>(() => TarReader.Read(new MemoryStream(damaged)).ToList()).Message);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => TarReader.Read(new MemoryStream(archive[..1200])).ToList()).Message);
    }

    [Fact]
    public void Names_too_long_for_ustar_are_rejected()
    {
        using var writer = new TarWriter(new MemoryStream());

        Assert.Throws<ArgumentException>(() => writer.Write(new string('x', 101), [1]));
    }
}
