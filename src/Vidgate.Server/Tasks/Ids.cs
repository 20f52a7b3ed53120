using System.Globalization;
using System.Security.Cryptography;

namespace Vidgate.Server.Tasks;

/// <summary>
/// Public ids: a prefix, then 48 bits of Unix milliseconds, a 12-bit counter and 64 random bits, in hex. Like UUIDv7
/// with the counter of RFC 9562 §6.2 method 1, so ids made by this process are strictly increasing even within one
/// millisecond: id order is creation order, which list cursors rely on.
/// </summary>
internal static class Ids
{
    private static readonly Lock Gate = new();
    private static long _lastMs;
    private static int _counter;

    public static string New(string prefix)
    {
        long ms;
        int counter;
        lock (Gate)
        {
            ms = Math.Max(TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds(), _lastMs);
            if (ms == _lastMs)
            {
                if (++_counter > 0xFFF)
                {
                    ms++;
                    _counter = 0;
                }
            }
            else
            {
                // Start low in a fresh millisecond, leaving room to count up.
                _counter = RandomNumberGenerator.GetInt32(0x400);
            }

            _lastMs = ms;
            counter = _counter;
        }

        Span<byte> random = stackalloc byte[8];
        RandomNumberGenerator.Fill(random);
        return string.Create(CultureInfo.InvariantCulture, $"{prefix}{ms:x12}{counter:x3}{Convert.ToHexStringLower(random)}");
    }
}
