// Makes TorchSharp's native library loadable on systems whose libstdc++ is older than the one it was
// linked against. libLibTorchSharp.so 0.107 declares GLIBCXX_3.4.32 (GCC 13) but binds no symbol of that
// version, so marking the requirement weak (VER_FLG_WEAK in .gnu.version_r) lets ld.so load it. Any
// symbol that really needed a missing version would still fail to bind, so weakening hides nothing.
//
// This file is compiled twice: by MSBuild's RoslynCodeTaskFactory (see TorchSharpNative.targets) to run
// after every build and publish, and into the build-tooling tests.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Build.Framework;

namespace SemanticMIM.Build
{
    /// <summary>One version requirement (a Vernaux entry) of an ELF shared object.</summary>
    public sealed class ElfVersionNeed
    {
        public ElfVersionNeed(string library, string version, bool isWeak, long flagsOffset)
        {
            Library = library;
            Version = version;
            IsWeak = isWeak;
            FlagsOffset = flagsOffset;
        }

        public string Library { get; }
        public string Version { get; }
        public bool IsWeak { get; }
        public long FlagsOffset { get; }
    }

    /// <summary>Reads version definitions and requirements of 64-bit little-endian ELF files and weakens requirements.</summary>
    public static class ElfVersionNeeds
    {
        public const ushort VerFlagWeak = 0x2;
        private const uint ShtGnuVerdef = 0x6ffffffd;
        private const uint ShtGnuVerneed = 0x6ffffffe;

        /// <summary>Every version requirement of <paramref name="elf"/>, in file order.</summary>
        public static IReadOnlyList<ElfVersionNeed> ReadNeeds(byte[] elf)
        {
            var result = new List<ElfVersionNeed>();
            foreach (var section in Sections(elf).Where(s => s.Type == ShtGnuVerneed))
            {
                var strings = Sections(elf)[(int)section.Link];
                long entry = section.Offset;
                for (uint i = 0; i < section.Info; i++)
                {
                    ushort count = U16(elf, entry + 2);
                    string file = CString(elf, strings.Offset + U32(elf, entry + 4));
                    long aux = entry + U32(elf, entry + 8);
                    for (int j = 0; j < count; j++)
                    {
                        ushort flags = U16(elf, aux + 4);
                        string name = CString(elf, strings.Offset + U32(elf, aux + 8));
                        result.Add(new ElfVersionNeed(file, name, (flags & VerFlagWeak) != 0, aux + 4));
                        aux += U32(elf, aux + 12);
                    }
                    uint next = U32(elf, entry + 12);
                    if (next == 0)
                    {
                        break;
                    }
                    entry += next;
                }
            }
            return result;
        }

        /// <summary>Every version name a shared library defines (its .gnu.version_d), e.g. GLIBCXX_3.4.30.</summary>
        public static ISet<string> ReadDefinitions(byte[] elf)
        {
            var result = new HashSet<string>(StringComparer.Ordinal);
            foreach (var section in Sections(elf).Where(s => s.Type == ShtGnuVerdef))
            {
                var strings = Sections(elf)[(int)section.Link];
                long entry = section.Offset;
                for (uint i = 0; i < section.Info; i++)
                {
                    ushort count = U16(elf, entry + 6);
                    long aux = entry + U32(elf, entry + 12);
                    for (int j = 0; j < count; j++)
                    {
                        result.Add(CString(elf, strings.Offset + U32(elf, aux)));
                        aux += U32(elf, aux + 4);
                    }
                    uint next = U32(elf, entry + 16);
                    if (next == 0)
                    {
                        break;
                    }
                    entry += next;
                }
            }
            return result;
        }

        /// <summary>
        /// Marks weak every strong requirement whose library <paramref name="definedVersions"/> resolves but
        /// which that library does not define. Libraries it cannot resolve (null) are left alone.
        /// Returns the requirements it weakened; <paramref name="elf"/> is changed in place.
        /// </summary>
        public static IReadOnlyList<ElfVersionNeed> WeakenUnavailable(byte[] elf, Func<string, ISet<string>?> definedVersions)
        {
            var weakened = new List<ElfVersionNeed>();
            var cache = new Dictionary<string, ISet<string>?>(StringComparer.Ordinal);
            foreach (var need in ReadNeeds(elf).Where(n => !n.IsWeak))
            {
                if (!cache.TryGetValue(need.Library, out var defined))
                {
                    defined = definedVersions(need.Library);
                    cache[need.Library] = defined;
                }
                if (defined is null || defined.Contains(need.Version))
                {
                    continue;
                }
                ushort flags = (ushort)(U16(elf, need.FlagsOffset) | VerFlagWeak);
                elf[need.FlagsOffset] = (byte)(flags & 0xff);
                elf[need.FlagsOffset + 1] = (byte)(flags >> 8);
                weakened.Add(need);
            }
            return weakened;
        }

        /// <summary>Resolves a needed library (e.g. libstdc++.so.6) in the usual system folders and reads its definitions.</summary>
        public static Func<string, ISet<string>?> SystemResolver(IEnumerable<string> searchDirectories)
        {
            var dirs = searchDirectories.ToArray();
            return library =>
            {
                foreach (var dir in dirs)
                {
                    var path = Path.Combine(dir, library);
                    if (File.Exists(path))
                    {
                        var bytes = File.ReadAllBytes(path);
                        return IsElf64LittleEndian(bytes) ? ReadDefinitions(bytes) : null;
                    }
                }
                return null;
            };
        }

        public static readonly string[] DefaultSearchDirectories =
        {
            "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
            "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib",
        };

        public static bool IsElf64LittleEndian(byte[] bytes) =>
            bytes.Length > 64 && bytes[0] == 0x7f && bytes[1] == (byte)'E' && bytes[2] == (byte)'L'
            && bytes[3] == (byte)'F' && bytes[4] == 2 && bytes[5] == 1;

        private sealed class Section
        {
            public uint Type;
            public long Offset;
            public uint Link;
            public uint Info;
        }

        private static List<Section> Sections(byte[] elf)
        {
            if (!IsElf64LittleEndian(elf))
            {
                throw new InvalidDataException("not a 64-bit little-endian ELF file");
            }
            long shoff = (long)U64(elf, 0x28);
            ushort shentsize = U16(elf, 0x3A);
            ushort shnum = U16(elf, 0x3C);
            var sections = new List<Section>(shnum);
            for (int i = 0; i < shnum; i++)
            {
                long h = shoff + (long)i * shentsize;
                sections.Add(new Section
                {
                    Type = U32(elf, h + 4),
                    Offset = (long)U64(elf, h + 24),
                    Link = U32(elf, h + 40),
                    Info = U32(elf, h + 44),
                });
            }
            return sections;
        }

        private static ushort U16(byte[] b, long o) => (ushort)(b[o] | (b[o + 1] << 8));

        private static uint U32(byte[] b, long o) => BitConverter.ToUInt32(b, (int)o);

        private static ulong U64(byte[] b, long o) => BitConverter.ToUInt64(b, (int)o);

        private static string CString(byte[] b, long o)
        {
            long end = o;
            while (b[end] != 0)
            {
                end++;
            }
            return Encoding.ASCII.GetString(b, (int)o, (int)(end - o));
        }
    }

    /// <summary>MSBuild task: weakens the version requirements of the given ELF files that this system cannot satisfy.</summary>
    public sealed class WeakenUnavailableVersionNeeds : ITask
    {
        public IBuildEngine? BuildEngine { get; set; }

        public ITaskHost? HostObject { get; set; }

        [Required]
        public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

        public bool Execute()
        {
            var resolver = ElfVersionNeeds.SystemResolver(ElfVersionNeeds.DefaultSearchDirectories);
            foreach (var item in Files)
            {
                string path = item.ItemSpec;
                byte[] bytes = File.ReadAllBytes(path);
                if (!ElfVersionNeeds.IsElf64LittleEndian(bytes))
                {
                    continue;
                }
                var weakened = ElfVersionNeeds.WeakenUnavailable(bytes, resolver);
                if (weakened.Count == 0)
                {
                    continue;
                }
                // Write beside and rename so that a build interrupted here never leaves a torn library.
                string temp = path + ".weakening";
                File.WriteAllBytes(temp, bytes);
                File.Replace(temp, path, destinationBackupFileName: null);
                string list = string.Join(", ", weakened.Select(w => w.Library + ":" + w.Version));
                BuildEngine?.LogMessageEvent(new BuildMessageEventArgs(
                    $"Weakened version requirements of {path} that this system lacks: {list}",
                    null, nameof(WeakenUnavailableVersionNeeds), MessageImportance.High));
            }
            return true;
        }
    }
}
