using Vidgate.Server.Admin;
using Vidgate.Server.Hosting;
using Vidgate.Server.Models;
using Vidgate.Server.Videos;

var builder = WebApplication.CreateBuilder(args);
builder.AddVidgateConfiguration();
builder.Services
    .AddStore()
    .AddVideos()
    .AddProviders()
    .AddWorkers(builder.Configuration);

var app = builder.Build();
app.UseVidgateErrors();
app.MapHealth();
app.MapVideos();
app.MapVideoContent();
app.MapModels();
app.MapAdminKeys();
app.MapAdminProviders();
app.Run();
