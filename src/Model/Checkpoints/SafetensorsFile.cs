using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace SemanticMIM.Model.Checkpoints;

/// <summary>
/// Reads and writes the safetensors format (8-byte little-endian header size, JSON header with dtype,
/// shape and byte range per tensor plus an optional <c>__metadata__</c> string map, then raw little-endian
/// data), so checkpoints open in Python with <c>safetensors</c> or any reader of the format.
/// </summary>
public static class SafetensorsFile
{
    private const string MetadataKey = "__metadata__";

    private static readonly Dictionary<ScalarType, string> DtypeNames = new()
    {
        [ScalarType.Float32] = "F32",
        [ScalarType.Float16] = "F16",
        [ScalarType.BFloat16] = "BF16",
        [ScalarType.Float64] = "F64",
        [ScalarType.Int64] = "I64",
        [ScalarType.Int32] = "I32",
        [ScalarType.Int16] = "I16",
        [ScalarType.Int8] = "I8",
        [ScalarType.Byte] = "U8",
        [ScalarType.Bool] = "BOOL",
    };

    private static readonly Dictionary<string, ScalarType> DtypesByName =
        DtypeNames.ToDictionary(pair => pair.Value, pair => pair.Key, StringComparer.Ordinal);

    /// <summary>
    /// Writes <paramref name="tensors"/> to <paramref name="path"/> through a temporary file and a rename, so a
    /// crash mid-write never leaves a complete-looking file.
    /// </summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        string temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                Write(stream, tensors, metadata);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>Writes the format to <paramref name="stream"/>, e.g. one that compresses it.</summary>
    public static void Write(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var (key, value) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                meta[key] = value;
            }
            header[MetadataKey] = meta;
        }
        var names = tensors.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        long offset = 0;
        foreach (var name in names)
        {
            var tensor = tensors[name];
            if (!DtypeNames.TryGetValue(tensor.dtype, out var dtype))
            {
                throw new NotSupportedException($"tensor '{name}' has dtype {tensor.dtype}, which this writer does not support");
            }
            long size = tensor.NumberOfElements * tensor.ElementSize;
            header[name] = new JsonObject
            {
                ["dtype"] = dtype,
                ["shape"] = new JsonArray(tensor.shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + size),
            };
            offset += size;
        }

        byte[] headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (headerBytes.Length + 7) / 8 * 8;
        var headerPadded = new byte[padded];
        Array.Fill(headerPadded, (byte)' ');
        headerBytes.CopyTo(headerPadded, 0);

        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
        stream.Write(length);
        stream.Write(headerPadded);
        foreach (var name in names)
        {
            using var cpu = tensors[name].detach().cpu().contiguous();
            stream.Write(cpu.bytes);
        }
    }

    /// <summary>Reads every tensor (on the CPU) and the metadata of a safetensors file.</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Load(string path) => Read(File.ReadAllBytes(path), path);

    /// <summary>Reads every tensor (on the CPU) and the metadata from the bytes of a safetensors file; <paramref name="path"/> names it in errors.</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Read(byte[] bytes, string path)
    {
        if (bytes.Length < 8)
        {
            throw new InvalidDataException($"{path} is not a safetensors file: shorter than its header size field");
        }
        ulong headerSize = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerSize > (ulong)(bytes.Length - 8))
        {
            throw new InvalidDataException($"{path} is not a safetensors file: header size {headerSize} exceeds the file");
        }
        var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerSize))?.AsObject()
            ?? throw new InvalidDataException($"{path}: the safetensors header is not a JSON object");
        long dataStart = 8 + (long)headerSize;

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, node) in header)
            {
                if (name == MetadataKey)
                {
                    foreach (var (key, value) in node!.AsObject())
                    {
                        metadata[key] = value!.GetValue<string>();
                    }
                    continue;
                }
                var entry = node!.AsObject();
                string dtypeName = entry["dtype"]!.GetValue<string>();
                if (!DtypesByName.TryGetValue(dtypeName, out var dtype))
                {
                    throw new InvalidDataException($"{path}: tensor '{name}' has unsupported dtype {dtypeName}");
                }
                long[] shape = entry["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                var range = entry["data_offsets"]!.AsArray();
                long begin = range[0]!.GetValue<long>(), end = range[1]!.GetValue<long>();
                if (begin < 0 || end < begin || dataStart + end > bytes.Length)
                {
                    throw new InvalidDataException($"{path}: tensor '{name}' lies outside the file");
                }
                var tensor = torch.empty(shape, dtype);
                if (tensor.NumberOfElements * tensor.ElementSize != end - begin)
                {
                    tensor.Dispose();
                    throw new InvalidDataException($"{path}: tensor '{name}' has {end - begin} bytes, its shape needs another size");
                }
                tensor.bytes = bytes.AsSpan((int)(dataStart + begin), (int)(end - begin));
                tensors[name] = tensor;
            }
        }
        catch (Exception ex)
        {
            foreach (var tensor in tensors.Values)
            {
                tensor.Dispose();
            }
            if (ex is InvalidDataException)
            {
                throw;
            }
            throw new InvalidDataException($"{path}: malformed safetensors header ({ex.Message})", ex);
        }
        return (tensors, metadata);
    }
}
