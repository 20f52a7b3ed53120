namespace Vidgate.Server.Tasks;

/// <summary>
/// What an upstream will really make of a task once it accepted it (issue 15, "mapping honestly"): the length and
/// shape after its model's snap, so that the task shows them from the moment it is accepted, not only at the end.
/// </summary>
/// <param name="AspectRatio">The delivered ratio as <c>W:H</c> in lowest terms (<c>16:9</c>).</param>
/// <param name="Resolution">The short side's label, as the task keeps it (<c>720P</c>).</param>
internal sealed record Delivered(int Seconds, int Width, int Height, string AspectRatio, string Resolution);
