using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using SemanticMIM.Model.Checkpoints;
using static TorchSharp.torch;

namespace SemanticMIM.Model.Tests;

/// <summary>
/// Safetensors files whose header lies (sizes, shapes, offsets, types) or whose bytes are damaged: each is refused with
/// an <see cref="InvalidDataException"/> naming the file, before any tensor is allocated for a lie.
/// </summary>
public sealed class SafetensorsFuzzTests
{
    private static byte[] Valid()
    {
        using var dir = new TempDirectory();
        string path = dir.File("valid.safetensors");
        SafetensorsFile.Save(path, new Dictionary<string, Tensor>
        {
            ["a"] = torch.arange(12, dtype: ScalarType.Float32).reshape(3, 4),
            ["b"] = torch.ones(5, dtype: ScalarType.Int64),
            ["c"] = torch.zeros(2, 2, dtype: ScalarType.Float16),
        }, new Dictionary<string, string> { ["format"] = "test" });
        return File.ReadAllBytes(path);
    }

    /// <summary>The file with its header replaced by <paramref name="header"/> (size field fixed) and the same data.</summary>
    private static byte[] WithHeader(byte[] file, string header)
    {
        long size = (long)BinaryPrimitives.ReadUInt64LittleEndian(file);
        byte[] json = Encoding.UTF8.GetBytes(header);
        var field = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(field, (ulong)json.Length);
        return [.. field, .. json, .. file[(int)(8 + size)..]];
    }

    private static JsonObject Header(byte[] file)
    {
        long size = (long)BinaryPrimitives.ReadUInt64LittleEndian(file);
        return JsonNode.Parse(Encoding.UTF8.GetString(file, 8, (int)size))!.AsObject();
    }

    public static TheoryData<string, string> Lies() => new()
    {
        // A shape whose byte size overflows: torch.empty used to be asked for it before any check.
        { """{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,48]}}""", "needs more bytes than the file's" },
        { """{"a":{"dtype":"F32","shape":[1000000,1000000],"data_offsets":[0,48]}}""", "needs more bytes than the file's" },
        { """{"a":{"dtype":"F32","shape":[-1,12],"data_offsets":[0,48]}}""", "not a non-negative integer" },
        { """{"a":{"dtype":"F32","shape":[3,4],"data_offsets":[0,9223372036854775807]}}""", "lies outside the file" },
        { """{"a":{"dtype":"F32","shape":[3,4],"data_offsets":[-8,40]}}""", "lies outside the file" },
        { """{"a":{"dtype":"F32","shape":[3,4],"data_offsets":[0,48]},"b":{"dtype":"F32","shape":[2],"data_offsets":[40,48]}}""", "overlap" },
        { """{"a":{"dtype":"F32","shape":[3,4],"data_offsets":[0,48]},"a":{"dtype":"F32","shape":[3,4],"data_offsets":[0,48]}}""", "appears twice" },
        { """{"a":{"dtype":"Q4","shape":[3,4],"data_offsets":[0,48]}}""", "unsupported dtype Q4" },
        { """{"a":{"dtype":"F32","shape":"3x4","data_offsets":[0,48]}}""", "needs a dtype, a shape and two data_offsets" },
        { """{"__metadata__":{"format":7}}""", "metadata 'format' is not a string" },
        { """[1,2,3]""", "not a JSON object" },
        { "{" + new string('[', 100) + new string(']', 100) + "}", "not JSON" },
    };

    [Theory]
    [MemberData(nameof(Lies))]
    public void A_header_that_lies_is_refused_with_the_file_and_the_lie_named(string header, string expected)
    {
        using var dir = new TempDirectory();
        string path = dir.File("lying.safetensors");
        File.WriteAllBytes(path, WithHeader(Valid(), header));

        var error = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Load(path));

        Assert.StartsWith(path, error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void A_header_size_beyond_the_file_is_refused_before_it_is_read()
    {
        using var dir = new TempDirectory();
        string path = dir.File("huge-header.safetensors");
        var file = Valid();
        BinaryPrimitives.WriteUInt64LittleEndian(file, ulong.MaxValue);
        File.WriteAllBytes(path, file);

        Assert.Contains("header size", Assert.Throws<InvalidDataException>(() => SafetensorsFile.Load(path)).Message);
    }

    [Fact]
    public void Fuzzed_safetensors_files_load_or_give_invalid_data_errors()
    {
        using var dir = new TempDirectory();
        var valid = Valid();
        var random = new Random(29);
        string[] lies = ["-1", "0", "1", "3", "4294967296", "9223372036854775807", "1e300", "\"x\"", "null", "[]", "[1,2,3]", "{}", "\"BF16\"", "\"BOOL\""];
        string[] fields = ["dtype", "shape", "data_offsets"];
        var failures = new List<string>();
        for (int i = 0; i < 300; i++)
        {
            byte[] damaged;
            if (random.Next(2) == 0)
            {
                var header = Header(valid);
                var entry = header[new[] { "a", "b", "c" }[random.Next(3)]]!.AsObject();
                string field = fields[random.Next(fields.Length)];
                entry[field] = field == "dtype" || random.Next(2) == 0
                    ? JsonNode.Parse(lies[random.Next(lies.Length)])
                    : new JsonArray(JsonNode.Parse(lies[random.Next(lies.Length)]), JsonNode.Parse(lies[random.Next(lies.Length)]));
                damaged = WithHeader(valid, header.ToJsonString());
            }
            else
            {
                damaged = (byte[])valid.Clone();
                for (int flips = 0; flips < 1 + random.Next(4); flips++)
                {
                    damaged[random.Next(damaged.Length)] ^= (byte)(1 << random.Next(8));
                }
                if (random.Next(4) == 0)
                {
                    damaged = damaged[..random.Next(damaged.Length)];
                }
            }
            string path = dir.File($"case-{i}.safetensors");
            File.WriteAllBytes(path, damaged);
            try
            {
                var (tensors, _) = SafetensorsFile.Load(path);
                foreach (var tensor in tensors.Values)
                {
                    tensor.Dispose();
                }
            }
            catch (InvalidDataException error) when (error.Message.StartsWith(path, StringComparison.Ordinal))
            {
            }
            catch (Exception error)
            {
                failures.Add($"case {i}: {error.GetType().Name}: {error.Message}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(5)));
    }
}
