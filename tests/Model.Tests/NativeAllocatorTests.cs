namespace SemanticMIM.Model.Tests;

public sealed class NativeAllocatorTests
{
    private const string Debian = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4";
    private const string Rpm = "/usr/lib64/libtcmalloc_minimal.so.4";

    [Theory]
    [InlineData("0")]
    [InlineData(" off ")]
    [InlineData("False")]
    public void Switched_off_keeps_glibc_even_where_tcmalloc_is_installed(string setting) =>
        Assert.Equal((NativeAllocatorState.SwitchedOff, (string?)null), NativeAllocator.Plan(setting, loaded: false, restarted: false, _ => true));

    [Fact]
    public void A_process_that_has_tcmalloc_mapped_is_not_restarted() =>
        Assert.Equal((NativeAllocatorState.TcMalloc, (string?)null), NativeAllocator.Plan(null, loaded: true, restarted: true, _ => true));

    [Fact]
    public void A_restarted_process_without_tcmalloc_mapped_says_so_and_is_not_restarted_again() =>
        Assert.Equal((NativeAllocatorState.PreloadFailed, (string?)null), NativeAllocator.Plan("", loaded: false, restarted: true, _ => true));

    [Theory]
    [InlineData(null)]
    [InlineData("1")]
    [InlineData("on")]
    public void By_default_the_first_installed_known_library_is_preloaded(string? setting)
    {
        Assert.Equal((NativeAllocatorState.TcMalloc, Debian), NativeAllocator.Plan(setting, loaded: false, restarted: false, path => path is Debian or Rpm));
        Assert.Equal((NativeAllocatorState.TcMalloc, Rpm), NativeAllocator.Plan(setting, loaded: false, restarted: false, path => path == Rpm));
        Assert.Equal((NativeAllocatorState.Unavailable, (string?)null), NativeAllocator.Plan(setting, loaded: false, restarted: false, _ => false));
    }

    [Fact]
    public void A_path_in_the_variable_names_the_library()
    {
        const string own = "/opt/gperftools/lib/libtcmalloc.so";
        Assert.Equal((NativeAllocatorState.TcMalloc, own), NativeAllocator.Plan(own, loaded: false, restarted: false, path => path == own));
        Assert.Equal((NativeAllocatorState.Unavailable, (string?)null), NativeAllocator.Plan(own, loaded: false, restarted: false, path => path == Debian));
    }

    [Theory]
    [InlineData(null, "/lib/tc.so")]
    [InlineData("", "/lib/tc.so")]
    [InlineData("/lib/a.so:/lib/b.so", "/lib/tc.so:/lib/a.so:/lib/b.so")]
    public void The_library_goes_first_in_ld_preload_ahead_of_what_it_held(string? current, string expected) =>
        Assert.Equal(expected, NativeAllocator.Preloads("/lib/tc.so", current));
}
