namespace Vidgate.Server.Data;

/// <summary>The JSON columns of the SQLite stores (input keys, provider lists, allowed models), source-generated.</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyList<string>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(string[]))]
internal sealed partial class StoreJson : System.Text.Json.Serialization.JsonSerializerContext;
