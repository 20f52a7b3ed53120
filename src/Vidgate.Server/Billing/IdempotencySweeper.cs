using Microsoft.Extensions.Options;

namespace Vidgate.Server.Billing;

/// <summary>Forgets <c>Idempotency-Key</c>s older than their lifetime (24 h by default), once an hour.</summary>
internal sealed partial class IdempotencySweeper(
    IBillingStore store, TimeProvider clock, IOptions<BillingOptions> options, ILogger<IdempotencySweeper> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        do
        {
            try
            {
                await SweepOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                Log.SweepFailed(logger, ex);
            }
        }
        while (await NextAsync(timer, stoppingToken));
    }

    public Task<int> SweepOnceAsync(CancellationToken ct) => store.SweepIdempotencyAsync(clock.GetUtcNow() - options.Value.IdempotencyKeyLifetime, ct);

    private static async Task<bool> NextAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Error, Message = "Sweeping idempotency keys failed")]
        public static partial void SweepFailed(ILogger logger, Exception exception);
    }
}
