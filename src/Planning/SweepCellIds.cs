using System.Security.Cryptography;
using System.Text;

namespace SemanticMIM.Planning;

/// <summary>
/// The experiment id of a sweep's cell, derived from the sweep's id and the cell's name, so that a redelivered
/// <c>StartSweep</c> or a restarted orchestrator starts the same experiment again, which the orchestrator ignores.
/// </summary>
public static class SweepCellIds
{
    public static Guid ExperimentId(Guid sweepId, string cellName)
    {
        ArgumentException.ThrowIfNullOrEmpty(cellName);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{sweepId:N}/{cellName}"));
        // A name-based UUID (RFC 9562 version 8, variant 10) from the hash's first 16 bytes.
        var bytes = hash.AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }
}
