
namespace SemanticMIM.Training.Tests;

public sealed class CheckpointDirectoryTests
{
    [Fact]
    public void CommitPublishesAFolderWhoseManifestListsEveryFile()
    {
        using var root = new TempDirectory();

        var folder = CheckpointDirectory.Commit(root.Path, 12, f => File.WriteAllText(Path.Combine(f, "a.txt"), "hello"));

        Assert.Equal(Path.Combine(root.Path, "step-00000012"), folder);
        var manifest = CheckpointManifest.ReadValid(folder);
        Assert.NotNull(manifest);
        var file = Assert.Single(manifest.Files);
        Assert.Equal(new CheckpointFile("a.txt", 5, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"), file);
        Assert.Equal([folder], Directory.EnumerateDirectories(root.Path));
    }

    [Fact]
    public void AFailedWriteLeavesNothingBehind()
    {
        using var root = new TempDirectory();

        Assert.Throws<IOException>(() => CheckpointDirectory.Commit(root.Path, 3, _ => throw new IOException("disk full")));

        Assert.Empty(Directory.EnumerateFileSystemEntries(root.Path));
        Assert.Null(CheckpointDirectory.LatestCheckpoint(root.Path));
    }

    [Fact]
    public void LatestSkipsPartialFoldersAndEditedFiles()
    {
        using var root = new TempDirectory();
        var two = CheckpointDirectory.Commit(root.Path, 2, f => File.WriteAllText(Path.Combine(f, "w"), "2"));
        var ten = CheckpointDirectory.Commit(root.Path, 10, f => File.WriteAllText(Path.Combine(f, "w"), "10"));
        Directory.CreateDirectory(Path.Combine(root.Path, ".partial-step-00000020-x"));
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(root.Path, "step-00000030")).FullName, "w"), "30");

        Assert.Equal(ten, CheckpointDirectory.LatestCheckpoint(root.Path));

        File.AppendAllText(Path.Combine(ten, "w"), "!");
        Assert.Equal(two, CheckpointDirectory.LatestCheckpoint(root.Path));
    }

    [Fact]
    public void RecommittingAStepReplacesTheOldFolder()
    {
        using var root = new TempDirectory();
        CheckpointDirectory.Commit(root.Path, 4, f => File.WriteAllText(Path.Combine(f, "old"), "x"));

        var folder = CheckpointDirectory.Commit(root.Path, 4, f => File.WriteAllText(Path.Combine(f, "new"), "y"));

        Assert.Equal(["new"], CheckpointManifest.ReadValid(folder)!.Files.Select(f => f.Name));
        Assert.Single(Directory.EnumerateDirectories(root.Path));
    }

    [Fact]
    public void MissingRootHasNoCheckpoint() =>
        Assert.Null(CheckpointDirectory.LatestCheckpoint(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"))));
}
