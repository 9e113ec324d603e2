using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
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
    /// <summary>The largest header read (the reference implementation's limit).</summary>
    public const long MaxHeaderBytes = 100_000_000;

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

    /// <summary>
    /// Reads every tensor (on the CPU) and the metadata of a safetensors file. The header is checked whole before any
    /// tensor is allocated: its size against the file, every dtype, every shape (non-negative, its byte size computed
    /// without overflow) against its byte range, every range inside the data and apart from the others. A file that
    /// breaks any of it gives an <see cref="InvalidDataException"/> naming the file and the fault.
    /// </summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Load(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Read(stream, path);
    }

    /// <summary>As <see cref="Load"/>, from the bytes of a safetensors file (e.g. decompressed); <paramref name="path"/> names it in errors.</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Read(byte[] bytes, string path)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        return Read(stream, path);
    }

    private static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Read(Stream stream, string path)
    {
        long fileBytes = stream.Length;
        if (fileBytes < 8)
        {
            throw new InvalidDataException($"{path} is not a safetensors file: shorter than its header size field");
        }
        Span<byte> sizeField = stackalloc byte[8];
        stream.ReadExactly(sizeField);
        ulong headerSize = BinaryPrimitives.ReadUInt64LittleEndian(sizeField);
        if (headerSize > MaxHeaderBytes || headerSize > (ulong)(fileBytes - 8))
        {
            throw new InvalidDataException($"{path} is not a safetensors file: header size {headerSize} exceeds the file or {MaxHeaderBytes} bytes");
        }
        var headerBytes = new byte[headerSize];
        stream.ReadExactly(headerBytes);
        long dataStart = 8 + (long)headerSize;
        var (entries, metadata) = ParseHeader(path, headerBytes, fileBytes - dataStart);

        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var entry in entries)
            {
                var data = new byte[entry.End - entry.Begin];
                stream.Position = dataStart + entry.Begin;
                stream.ReadExactly(data);
                var tensor = torch.empty(entry.Shape, entry.Dtype);
                tensors[entry.Name] = tensor;
                tensor.bytes = data;
            }
        }
        catch
        {
            foreach (var tensor in tensors.Values)
            {
                tensor.Dispose();
            }
            throw;
        }
        return (tensors, metadata);
    }

    private static readonly Dictionary<string, int> ElementBytes = new(StringComparer.Ordinal)
    {
        ["F32"] = 4, ["F16"] = 2, ["BF16"] = 2, ["F64"] = 8, ["I64"] = 8, ["I32"] = 4, ["I16"] = 2, ["I8"] = 1, ["U8"] = 1, ["BOOL"] = 1,
    };

    private sealed record Entry(string Name, ScalarType Dtype, long[] Shape, long Begin, long End);

    private static (List<Entry> Entries, Dictionary<string, string> Metadata) ParseHeader(string path, byte[] header, long dataBytes)
    {
        InvalidDataException Invalid(string what) => new($"{path}: malformed safetensors header: {what}");
        // JSON readers accept invalid UTF-8 inside names and fail only when the name is read, with another exception.
        if (!System.Text.Unicode.Utf8.IsValid(header))
        {
            throw Invalid("the header is not UTF-8 text");
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: the safetensors header is not JSON ({e.Message})", e);
        }
        using var _ = document;
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{path}: the safetensors header is not a JSON object");
        }
        var entries = new List<Entry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (!names.Add(property.Name))
            {
                throw Invalid($"'{property.Name}' appears twice");
            }
            if (property.Name == MetadataKey)
            {
                if (property.Value.ValueKind != JsonValueKind.Object)
                {
                    throw Invalid($"{MetadataKey} is not an object");
                }
                foreach (var item in property.Value.EnumerateObject())
                {
                    metadata[item.Name] = item.Value.ValueKind == JsonValueKind.String ? item.Value.GetString()! : throw Invalid($"metadata '{item.Name}' is not a string");
                }
                continue;
            }
            entries.Add(ParseEntry(property.Name, property.Value, dataBytes, Invalid));
        }
        // Ranges must not overlap: each tensor owns its bytes.
        var ordered = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
        for (int i = 1; i < ordered.Count; i++)
        {
            if (ordered[i].Begin < ordered[i - 1].End)
            {
                throw Invalid($"tensors '{ordered[i - 1].Name}' and '{ordered[i].Name}' overlap");
            }
        }
        return (entries, metadata);
    }

    private static Entry ParseEntry(string name, JsonElement entry, long dataBytes, Func<string, InvalidDataException> invalid)
    {
        if (entry.ValueKind != JsonValueKind.Object
            || !entry.TryGetProperty("dtype", out var dtypeNode) || dtypeNode.ValueKind != JsonValueKind.String
            || !entry.TryGetProperty("shape", out var shapeNode) || shapeNode.ValueKind != JsonValueKind.Array
            || !entry.TryGetProperty("data_offsets", out var rangeNode) || rangeNode.ValueKind != JsonValueKind.Array || rangeNode.GetArrayLength() != 2)
        {
            throw invalid($"tensor '{name}' needs a dtype, a shape and two data_offsets");
        }
        string dtypeName = dtypeNode.GetString()!;
        if (!DtypesByName.TryGetValue(dtypeName, out var dtype))
        {
            throw invalid($"tensor '{name}' has unsupported dtype {dtypeName}");
        }
        var shape = new long[shapeNode.GetArrayLength()];
        long bytes = ElementBytes[dtypeName];
        int index = 0;
        foreach (var dimension in shapeNode.EnumerateArray())
        {
            if (dimension.ValueKind != JsonValueKind.Number || !dimension.TryGetInt64(out long size) || size < 0)
            {
                throw invalid($"tensor '{name}' has a shape entry that is not a non-negative integer");
            }
            shape[index++] = size;
            // Checked against the data at every step: a product of file-given sizes must not overflow.
            if (size > 0 && bytes > dataBytes / size)
            {
                throw invalid($"tensor '{name}' of shape [{string.Join(", ", shape[..index])}…] needs more bytes than the file's {dataBytes}");
            }
            bytes *= size;
        }
        var offsets = rangeNode.EnumerateArray().Select(o => o.ValueKind == JsonValueKind.Number && o.TryGetInt64(out long v) ? v : -1).ToArray();
        long begin = offsets[0], end = offsets[1];
        if (begin < 0 || end < begin || end > dataBytes)
        {
            throw invalid($"tensor '{name}' lies outside the file (data_offsets [{begin}, {end}] in {dataBytes} data bytes)");
        }
        if (end - begin != bytes)
        {
            throw invalid($"tensor '{name}' has {end - begin} bytes, its shape needs {bytes}");
        }
        if (bytes > Array.MaxLength)
        {
            throw invalid($"tensor '{name}' of {bytes} bytes is too large to read");
        }
        return new Entry(name, dtype, shape, begin, end);
    }
}
