using Vidgate.Server.Accounts;
using Vidgate.Server.Admin;
using Vidgate.Server.ApiDocs;
using Vidgate.Server.Billing;
using Vidgate.Server.Callbacks;
using Vidgate.Server.Dashboard;
using Vidgate.Server.Data;
using Vidgate.Server.Health;
using Vidgate.Server.Hosting;
using Vidgate.Server.Live;
using Vidgate.Server.Metrics;
using Vidgate.Server.Models;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.Media;
using Vidgate.Server.Storage;
using Vidgate.Server.Videos;
using Vidgate.Server.Webhooks;
using Vidgate.Server.Workers;

// The content root is where the server was built to, not the caller's working directory: appsettings.json (log
// filters included) must apply however the server is started (`./vidgate serve` runs it from the repository root).
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddVidgateConfiguration();
builder.Services
    .AddVidgateMetrics()
    .AddVidgateTracing(builder.Configuration)
    .AddDatabase()
    .AddLive()
    .AddStorage()
    .AddAccounts()
    .AddModels()
    .AddVideos()
    .AddBilling()
    .AddProviders()
    .AddWorkers(builder.Configuration)
    .AddWebhooks(builder.Configuration)
    .AddUpstreamCallbacks()
    .AddApiDocs()
    .AddDashboard();

var app = builder.Build();
app.UseVidgateErrors();
app.MapHealth();
app.MapMetrics();
app.MapVideos();
app.MapVideoEvents();
app.MapVideoContent();
app.MapUpstreamImages();
app.MapUpstreamCallbacks();
app.MapModels();
app.MapAccountKeys();
app.MapWebhooks();
app.MapAdmin();
app.MapApiDocs();
app.MapDashboard();
if (!await app.PassesStartupChecksAsync())
{
    // Disposing flushes the console logger's queue: without it a fast exit can lose the one line that says why.
    await app.DisposeAsync();
    Environment.ExitCode = 1;
    return;
}

try
{
    app.Run();
}
catch (IOException ex) when (ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
{
    // The one start-up failure every new user meets: say what to do instead of a stack trace.
    Console.Error.WriteLine($"vidgate: {ex.Message} Another process listens there: stop it, or start Vidgate on another address, e.g. --urls http://127.0.0.1:8081.");
    Environment.ExitCode = 1;
}
