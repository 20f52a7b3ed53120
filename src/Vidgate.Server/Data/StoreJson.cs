namespace Vidgate.Server.Data;

/// <summary>The JSON columns of the SQLite stores (input keys, provider lists, allowed models), source-generated.</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyList<string>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(string[]))]
internal sealed partial class StoreJson : System.Text.Json.Serialization.JsonSerializerContext
{
    /// <summary>A list column: the JSON array, or NULL for no list (an empty one included).</summary>
    public static string? ListOrNull(IReadOnlyList<string>? values)
        => values is null || values.Count == 0 ? null : System.Text.Json.JsonSerializer.Serialize(values.ToArray(), Default.StringArray);
}
