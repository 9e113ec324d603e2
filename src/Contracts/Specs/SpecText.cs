using System.Globalization;
using System.Text;

namespace SemanticMIM.Contracts.Specs;

/// <summary>How problems quote what a spec wrote: short, and with invisible characters spelled out.</summary>
public static class SpecText
{
    private const int Longest = 80;

    /// <summary>
    /// Control, formatting (bidirectional overrides, zero-width) and separator characters: invisible or misleading in a
    /// terminal, a log or a label, so spec texts may not hold them.
    /// </summary>
    public static bool IsInvisible(char c) => char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format
        or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;

    /// <summary><paramref name="text"/> in single quotes, invisible characters as <c>\uXXXX</c>, cut after 80 characters.</summary>
    public static string Quote(string text)
    {
        var quoted = new StringBuilder("'");
        foreach (char c in text.Length > Longest ? text[..Longest] : text)
        {
            if (IsInvisible(c))
            {
                quoted.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            }
            else
            {
                quoted.Append(c);
            }
        }
        if (text.Length > Longest)
        {
            quoted.Append('…');
        }
        return quoted.Append('\'').ToString();
    }

    /// <summary>A number as problems and the reference write it: invariant, shortest round-trip form.</summary>
    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
