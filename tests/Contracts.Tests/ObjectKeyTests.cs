using SemanticMIM.Contracts.Storage;

namespace SemanticMIM.Contracts.Tests;

public sealed class ObjectKeyTests
{
    public static TheoryData<string> EscapingKeys() =>
    [
        "",
        "..",
        "../secrets",
        "experiments/../../etc/passwd",
        "experiments/./x",
        "/etc/passwd",
        "experiments//x",
        "experiments/x/",
        "experiments\\..\\x",
        "experiments/x\n",
        "experiments/x\r\n",
        "experiments/x\0",
        "experiments/\u2024\u2024/x",
        "experiments/x y",
        "experiments/%2e%2e/x",
        new string('a', 1025),
    ];

    [Theory]
    [MemberData(nameof(EscapingKeys))]
    public void Keys_that_could_leave_their_prefix_or_surprise_a_store_are_refused(string key) =>
        Assert.Throws<ArgumentException>(() => ObjectKey.Validate(key));

    [Fact]
    public void A_trailing_line_feed_does_not_slip_past_the_end_anchor()
    {
        Assert.Equal("experiments/x", ObjectKey.Validate("experiments/x"));
        Assert.Throws<ArgumentException>(() => ObjectKey.Join("experiments", "x\n"));
    }
}
