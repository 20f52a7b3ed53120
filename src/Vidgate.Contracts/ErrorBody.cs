namespace Vidgate.Contracts;

/// <summary>The one error envelope of every route: <c>{"error":{"message","type","param","code"}}</c>.</summary>
public sealed record ErrorBody(ErrorDetail Error);

public sealed record ErrorDetail(string Message, string Type, string? Param, string? Code);
