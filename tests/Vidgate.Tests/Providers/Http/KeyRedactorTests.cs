using Vidgate.Server.Providers.Http;

namespace Vidgate.Tests.Providers.Http;

public sealed class KeyRedactorTests
{
    [Fact]
    public void Every_configured_key_is_cut_out_wherever_it_appears()
    {
        var text = KeyRedactor.Redact("refused plain-secret-one, then plain-secret-two and plain-secret-one again", ["plain-secret-one", "plain-secret-two"]);

        Assert.Equal("refused [redacted], then [redacted] and [redacted] again", text);
    }

    [Theory]
    [InlineData("abcd1234", "abcd1234EXTRA")]
    [InlineData("abcd1234EXTRA", "abcd1234")]
    public void A_key_inside_another_key_leaves_no_piece_of_the_longer_one(string first, string second)
    {
        var text = KeyRedactor.Redact("got abcd1234EXTRA and abcd1234.", [first, second]);

        Assert.Equal("got [redacted] and [redacted].", text);
    }

    [Fact]
    public void Overlapping_keys_are_both_removed_completely()
    {
        var text = KeyRedactor.Redact("x aaaa1111bbbb y", ["aaaa1111", "1111bbbb"]);

        Assert.Equal("x [redacted] y", text);
    }

    [Theory]
    [InlineData("Authorization: Bearer abcdefgh12345678 was refused", "Authorization: Bearer [redacted] was refused")]
    [InlineData("header was 'bearer QWxhZGRpbjpvcGVuIHNlc2FtZQ=='", "header was 'bearer [redacted]'")]
    [InlineData("Incorrect API key provided: sk-proj-abcd************************wxyz.", "Incorrect API key provided: [redacted].")]
    [InlineData("token eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJhayJ9.c2lnbmF0dXJlX2hlcmU expired", "token [redacted] expired")]
    public void Obvious_credentials_are_cut_out_even_when_they_are_not_configured(string input, string expected)
    {
        Assert.Equal(expected, KeyRedactor.Redact(input, []));
    }

    [Fact]
    public void Ordinary_text_and_very_short_keys_are_left_alone()
    {
        const string text = "Token validation failed: the key_management_service refused (code 400, policy 'sk'). Bearer tokens only.";

        Assert.Equal(text, KeyRedactor.Redact(text, ["sk", "", null]));
    }

    [Fact]
    public void Quoting_redacts_before_it_shortens_so_no_piece_of_a_key_survives_the_cut()
    {
        var key = "plain-" + new string('k', 40);
        var quoted = KeyRedactor.Quote(new string('a', 20) + key, [key], 30);

        Assert.Equal(new string('a', 20) + "[redacted]", quoted);
        Assert.DoesNotContain("kkkk", KeyRedactor.Quote(new string('a', 20) + key, [key], 25), StringComparison.Ordinal);
    }
}
