namespace SemanticMIM.Contracts.Specs;

/// <summary>
/// Documents one field of a spec record and bounds it: what it means, the smallest and largest number it may hold
/// (inclusive unless marked exclusive) and the longest text. <see cref="SpecFields"/> collects them into the one table
/// that both <see cref="SpecValidator"/> checks and the spec reference (<c>README.md</c> beside this file) is generated
/// from, so the documented limits are the enforced ones.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SpecFieldAttribute(string meaning) : Attribute
{
    public string Meaning { get; } = meaning;

    /// <summary>The smallest value of a number field; every number field sets it.</summary>
    public double Min { get; set; } = double.NaN;

    /// <summary>The largest value of a number field; every number field sets it.</summary>
    public double Max { get; set; } = double.NaN;

    public bool MinExclusive { get; set; }

    public bool MaxExclusive { get; set; }

    /// <summary>The most characters of a text field; every text field sets it.</summary>
    public int MaxLength { get; set; }
}
