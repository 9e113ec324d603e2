using System.Reflection;

namespace SemanticMIM.Build.Tests;

public sealed class ElfVersionNeedsTests
{
    private static string ShippedLibrary()
    {
        string root = typeof(ElfVersionNeedsTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "TorchSharpPackageRoot").Value!;
        string path = Path.Combine(root, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(path), $"TorchSharp's native library is not at {path}");
        return path;
    }

    private static Func<string, ISet<string>?> Defines(string library, params string[] versions) =>
        name => name == library ? new HashSet<string>(versions) : null;

    [Fact]
    public void ReadsTheRequirementsOfTheShippedLibrary()
    {
        var needs = ElfVersionNeeds.ReadNeeds(File.ReadAllBytes(ShippedLibrary()));

        Assert.Contains(needs, n => n.Library == "libstdc++.so.6" && n.Version == "GLIBCXX_3.4.32" && !n.IsWeak);
        Assert.Contains(needs, n => n.Library == "libc.so.6" && n.Version == "GLIBC_2.2.5");
        Assert.Equal(20, needs.Count(n => n.Library == "libstdc++.so.6"));
    }

    [Fact]
    public void WeakensOnlyTheVersionsTheSystemLibraryLacksAndIsIdempotent()
    {
        byte[] original = File.ReadAllBytes(ShippedLibrary());
        var stdcxx = ElfVersionNeeds.ReadNeeds(original).Where(n => n.Library == "libstdc++.so.6").Select(n => n.Version).ToArray();
        var resolver = Defines("libstdc++.so.6", stdcxx.Where(v => v != "GLIBCXX_3.4.32").ToArray());
        byte[] patched = (byte[])original.Clone();

        var weakened = ElfVersionNeeds.WeakenUnavailable(patched, resolver);

        Assert.Equal("GLIBCXX_3.4.32", Assert.Single(weakened).Version);
        var after = ElfVersionNeeds.ReadNeeds(patched);
        Assert.Equal(["GLIBCXX_3.4.32"], after.Where(n => n.IsWeak).Select(n => n.Version));
        Assert.Equal(1, original.Zip(patched).Count(pair => pair.First != pair.Second));

        byte[] again = (byte[])patched.Clone();
        Assert.Empty(ElfVersionNeeds.WeakenUnavailable(again, resolver));
        Assert.Equal(patched, again);
    }

    [Fact]
    public void ChangesNothingWhereTheSystemLibraryIsNewEnoughOrUnknown()
    {
        byte[] original = File.ReadAllBytes(ShippedLibrary());
        var allVersions = ElfVersionNeeds.ReadNeeds(original).Select(n => n.Version).ToArray();
        byte[] copy = (byte[])original.Clone();

        Assert.Empty(ElfVersionNeeds.WeakenUnavailable(copy, Defines("libstdc++.so.6", allVersions)));
        Assert.Empty(ElfVersionNeeds.WeakenUnavailable(copy, _ => null));
        Assert.Equal(original, copy);
    }

    [Fact]
    public void ReadsTheDefinitionsOfThisSystemsLibstdcxx()
    {
        var resolve = ElfVersionNeeds.SystemResolver(ElfVersionNeeds.DefaultSearchDirectories);

        var defined = resolve("libstdc++.so.6");

        Assert.NotNull(defined);
        Assert.Contains("GLIBCXX_3.4", defined);
        Assert.Contains("CXXABI_1.3", defined);
    }

    [Fact]
    public void TheTaskPatchesAFileInPlaceOnlyWhenNeeded()
    {
        string temp = Path.Combine(Path.GetTempPath(), $"elf-{Guid.NewGuid():N}.so");
        File.Copy(ShippedLibrary(), temp);
        try
        {
            var systemDefines = ElfVersionNeeds.SystemResolver(ElfVersionNeeds.DefaultSearchDirectories)("libstdc++.so.6")!;
            var task = new WeakenUnavailableVersionNeeds { Files = [new Microsoft.Build.Utilities.TaskItem(temp)] };

            Assert.True(task.Execute());

            bool systemIsNew = systemDefines.Contains("GLIBCXX_3.4.32");
            var need = ElfVersionNeeds.ReadNeeds(File.ReadAllBytes(temp)).Single(n => n.Version == "GLIBCXX_3.4.32");
            Assert.Equal(!systemIsNew, need.IsWeak);
            byte[] once = File.ReadAllBytes(temp);
            Assert.True(task.Execute());
            Assert.Equal(once, File.ReadAllBytes(temp));
        }
        finally
        {
            File.Delete(temp);
        }
    }

    [Fact]
    public void RejectsFilesThatAreNotElf()
    {
        Assert.False(ElfVersionNeeds.IsElf64LittleEndian(new byte[100]));
        Assert.Throws<InvalidDataException>(() => ElfVersionNeeds.ReadNeeds(new byte[100]));
    }
}
