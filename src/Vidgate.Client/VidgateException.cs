using System.Net;

namespace Vidgate.Client;

/// <summary>
/// Every failure of a call: the server's error envelope (<c>{"error":{"message","type","param","code"}}</c>) with its
/// HTTP status, or a transport failure (<see cref="Status"/> 0, <see cref="Type"/> <c>connection_error</c>) with the
/// original exception as <see cref="Exception.InnerException"/>.
/// </summary>
public sealed class VidgateException : Exception
{
    /// <summary>Creates an exception; the message is the server's (or the transport's) own words.</summary>
    public VidgateException(int status, string type, string? code, string? param, string message, Exception? inner = null)
        : base(message, inner)
    {
        Status = status;
        Type = type;
        Code = code;
        Param = param;
    }

    /// <summary>The HTTP status (400, 401, 404, 409, 429, 503…), or 0 when no answer came.</summary>
    public int Status { get; }

    /// <summary>The error class, e.g. <c>invalid_request_error</c>, <c>not_found_error</c>, <c>connection_error</c>.</summary>
    public string Type { get; }

    /// <summary>The machine-readable reason, e.g. <c>invalid_seconds</c>, <c>video_not_found</c>; may be null.</summary>
    public string? Code { get; }

    /// <summary>The request field at fault, e.g. <c>seconds</c>; null when no one field is.</summary>
    public string? Param { get; }

    /// <summary>The status as an enum, or null for a transport failure.</summary>
    public HttpStatusCode? StatusCode => Status == 0 ? null : (HttpStatusCode)Status;

    /// <summary>True when no answer came from the server at all (refused, reset, timed out).</summary>
    public bool IsConnectionError => Status == 0;

    internal const string ConnectionError = "connection_error";

    internal static VidgateException Connection(string what, Exception inner)
        => new(0, ConnectionError, null, null, $"{what}: {inner.Message}", inner);
}
