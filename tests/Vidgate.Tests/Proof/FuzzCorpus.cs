using System.Security.Cryptography;
using System.Text;

namespace Vidgate.Tests.Proof;

/// <summary>
/// The fuzz corpus (tests/Vidgate.Tests/Proof/corpus/*.req): every input that once made the server answer 5xx, minimised,
/// replayed first on every run. A file is the request as sent: "METHOD target", header lines, a blank line, the body
/// bytes; the real keys and ids are written as placeholders (<c>{{user_key}}</c>, <c>{{completed_task}}</c>, ...) and
/// put back on replay, so an entry works against any fresh server. A Content-Length is added on replay unless the
/// file has its own (a lying one is part of some inputs).
/// </summary>
internal static class FuzzCorpus
{
    public sealed record Entry(string Name, string Method, string Target, List<(string Name, string Value)> Headers, byte[] Body);

    public static string Folder => Path.Combine(Support.Repo.Root, "tests", "Vidgate.Tests", "Proof", "corpus");

    public static IEnumerable<Entry> Load(FuzzInputs.Ids ids)
    {
        if (!Directory.Exists(Folder))
        {
            yield break;
        }

        foreach (var file in Directory.GetFiles(Folder, "*.req").Order(StringComparer.Ordinal))
        {
            var bytes = File.ReadAllBytes(file);
            var split = IndexOf(bytes, "\n\n"u8);
            var head = Encoding.Latin1.GetString(bytes, 0, split < 0 ? bytes.Length : split);
            var body = split < 0 ? [] : bytes[(split + 2)..];
            var lines = head.Split('\n');
            var first = Fill(lines[0], ids).Split(' ', 2);
            var headers = lines.Skip(1).Where(l => l.Length > 0)
                .Select(l => (Name: l[..l.IndexOf(':', StringComparison.Ordinal)], Value: Fill(l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].TrimStart(' '), ids)))
                .ToList();
            yield return new Entry(Path.GetFileName(file), first[0], first[1], headers, FillBytes(body, ids));
        }
    }

    /// <summary>Writes a (minimised) failing input with its ids and keys as placeholders; the name is its content's hash.</summary>
    public static string Save(Entry entry, FuzzInputs.Ids ids)
    {
        var head = new StringBuilder();
        head.Append(entry.Method).Append(' ').Append(Hide(entry.Target, ids)).Append('\n');
        foreach (var (header, value) in entry.Headers)
        {
            head.Append(header).Append(": ").Append(Hide(value, ids)).Append('\n');
        }

        head.Append('\n');
        byte[] bytes = [.. Encoding.Latin1.GetBytes(head.ToString()), .. HideBytes(entry.Body, ids)];
        var name = Convert.ToHexStringLower(SHA256.HashData(bytes))[..12] + ".req";
        Directory.CreateDirectory(Folder);
        File.WriteAllBytes(Path.Combine(Folder, name), bytes);
        return name;
    }

    private static (string Value, string Placeholder)[] Pairs(FuzzInputs.Ids ids) =>
    [
        (ids.UserKey, "{{user_key}}"), (ids.AdminKey, "{{admin_key}}"), (ids.CompletedTask, "{{completed_task}}"),
        (ids.VictimTask, "{{victim_task}}"), (ids.TargetAccount, "{{target_account}}"), (ids.Account, "{{account}}"),
        (ids.TargetKeyId, "{{target_key}}"), (ids.Webhook, "{{webhook}}"), (ids.Provider, "{{provider}}"),
    ];

    private static string Hide(string text, FuzzInputs.Ids ids)
        => Pairs(ids).Aggregate(text, (t, p) => t.Replace(p.Value, p.Placeholder, StringComparison.Ordinal));

    private static string Fill(string text, FuzzInputs.Ids ids)
        => Pairs(ids).Aggregate(text, (t, p) => t.Replace(p.Placeholder, p.Value, StringComparison.Ordinal));

    // Bodies may hold bytes that are not UTF-8: Latin-1 maps every byte to one char and back, so the swap is byte-exact.
    private static byte[] HideBytes(byte[] body, FuzzInputs.Ids ids) => Encoding.Latin1.GetBytes(Hide(Encoding.Latin1.GetString(body), ids));

    private static byte[] FillBytes(byte[] body, FuzzInputs.Ids ids) => Encoding.Latin1.GetBytes(Fill(Encoding.Latin1.GetString(body), ids));

    private static int IndexOf(byte[] bytes, ReadOnlySpan<byte> what) => bytes.AsSpan().IndexOf(what);
}
