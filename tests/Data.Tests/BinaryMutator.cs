using System.Buffers.Binary;

namespace SemanticMIM.Data.Tests;

/// <summary>
/// Seeded damage to a valid file: bit flips, overwritten bytes, truncation, appended garbage, and the file's own size
/// and offset fields (given by the caller) set to extreme values, so every reader meets both random and targeted lies.
/// </summary>
internal sealed class BinaryMutator(int seed)
{
    private static readonly uint[] Extremes = [0, 1, 0x7F, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE, 12345678];

    private readonly Random _random = new(seed);

    public Random Random => _random;

    /// <param name="fields">Offsets of 4-byte big-endian size or offset fields worth lying in.</param>
    public byte[] Mutate(byte[] original, IReadOnlyList<int>? fields = null)
    {
        var bytes = (byte[])original.Clone();
        int mutations = 1 + _random.Next(3);
        for (int m = 0; m < mutations && bytes.Length > 0; m++)
        {
            switch (_random.Next(fields is { Count: > 0 } ? 6 : 5))
            {
                case 0:
                    bytes[_random.Next(bytes.Length)] ^= (byte)(1 << _random.Next(8));
                    break;
                case 1:
                    bytes[_random.Next(bytes.Length)] = (byte)_random.Next(256);
                    break;
                case 2:
                    Array.Resize(ref bytes, _random.Next(bytes.Length));
                    break;
                case 3:
                    var tail = new byte[_random.Next(1, 600)];
                    _random.NextBytes(tail);
                    bytes = [.. bytes, .. tail];
                    break;
                case 4:
                    int start = _random.Next(bytes.Length);
                    Array.Fill(bytes, _random.Next(2) == 0 ? (byte)0 : (byte)0xFF, start, Math.Min(bytes.Length - start, 1 + _random.Next(16)));
                    break;
                default:
                    int at = fields![_random.Next(fields.Count)];
                    if (at + 4 <= bytes.Length)
                        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(at), Extremes[_random.Next(Extremes.Length)]);
                    break;
            }
        }
        return bytes;
    }
}
