using Microsoft.Extensions.Options;

namespace Vidgate.Server.Accounts;

/// <summary>
/// First start with an empty database: create the admin key. <c>VIDGATE_ADMIN_KEY</c> if set, else a generated
/// one written once to the console (stdout, not the log: logs get shipped and kept, a console is seen once).
/// </summary>
internal sealed partial class AdminKeyBootstrap(IKeyStore store, ApiKeys keys, IOptions<VidgateOptions> options, ILogger<AdminKeyBootstrap> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (await store.AnyAsync(cancellationToken))
        {
            return;
        }

        var configured = options.Value.AdminKey;
        var (record, secret) = await keys.CreateAsync(new NewKey("admin", IsAdmin: true), string.IsNullOrWhiteSpace(configured) ? null : configured.Trim(), cancellationToken);
        if (string.IsNullOrWhiteSpace(configured))
        {
            Console.Out.WriteLine($"""

                ==================================================================
                 Vidgate admin key (shown once, store it now):
                   {secret}
                 Use it as: Authorization: Bearer {secret}
                ==================================================================

                """);
            Console.Out.Flush();
        }

        Log.AdminCreated(logger, record!.Id, string.IsNullOrWhiteSpace(configured) ? "generated" : "VIDGATE_ADMIN_KEY");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Created admin key {KeyId} ({Source})")]
        public static partial void AdminCreated(ILogger logger, string keyId, string source);
    }
}
