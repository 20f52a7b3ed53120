using Vidgate.Server.Models;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.Registry;

namespace Vidgate.Tests.Data;

/// <summary>
/// <see cref="IModelStore"/>, on any engine: the configuration seeds the catalog once (an emptied catalog stays empty),
/// edits keep every field, and a model that routes, aliases or unfinished tasks use cannot be removed.
/// </summary>
public abstract class ModelStoreContract : StoreContract
{
    private protected ModelStoreContract(StoreEngine engine)
        : base(engine)
    {
    }

    private IModelStore Models => Engine.Models;

    private static ModelRecord Record(string name, ModelSpec spec) => new(name, spec, Now, Now);

    [Fact]
    public async Task The_configuration_seeds_the_catalog_once_and_an_emptied_catalog_stays_empty()
    {
        var configured = new ModelCatalogOptions().Models.Select(m => Record(m.Key, m.Value)).ToList();
        Assert.True(await Models.SeedAsync(configured, Ct));
        Assert.Equal(configured.Select(m => m.Name).Order(StringComparer.Ordinal), (await Models.ModelsAsync(Ct)).Select(m => m.Name));

        foreach (var model in configured.Where(m => m.Spec.AliasOf is not null).Concat(configured.Where(m => m.Spec.AliasOf is null)))
        {
            Assert.Equal(ModelDeleteOutcome.Deleted, await Models.DeleteAsync(model.Name, Ct));
        }

        using var another = Engine.OpenAnother();
        Assert.False(await another.Models.SeedAsync(configured, Ct));
        Assert.Empty(await Models.ModelsAsync(Ct));
    }

    [Fact]
    public async Task A_saved_model_keeps_every_field_and_create_and_update_each_refuse_the_other_case()
    {
        var spec = new ModelSpec
        {
            MaxSeconds = 12,
            DefaultSeconds = 4,
            AllowedSeconds = [4, 8, 12],
            FixedSeconds = null,
            Resolutions = [720, 1024],
            DefaultResolution = 720,
            Sizes = ["720x1280", "1024x1792"],
            DefaultSize = "720x1280",
            MaxImages = 1,
            AliasOf = null,
            Description = "vendor's best",
            Provider = "builtin",
        };
        Assert.True(await Models.SaveAsync("wan-2.5", spec, create: true, Now, Ct));
        Assert.False(await Models.SaveAsync("wan-2.5", spec, create: true, Now, Ct));
        Assert.False(await Models.SaveAsync("missing", spec, create: false, Now, Ct));

        var stored = Assert.Single(await Models.ModelsAsync(Ct));
        Assert.Equal(("wan-2.5", Now, Now), (stored.Name, stored.CreatedAt, stored.UpdatedAt));
        Assert.Equal(ModelStoreJson.Write(spec), ModelStoreJson.Write(stored.Spec));

        var changed = new ModelSpec { MaxSeconds = 20, FixedSeconds = 10, DefaultSeconds = 10 };
        Assert.True(await Models.SaveAsync("wan-2.5", changed, create: false, Now.AddMinutes(1), Ct));
        stored = Assert.Single(await Models.ModelsAsync(Ct));
        Assert.Equal((Now, Now.AddMinutes(1), 10, (string?)null), (stored.CreatedAt, stored.UpdatedAt, stored.Spec.FixedSeconds, stored.Spec.Description));
    }

    [Fact]
    public async Task A_model_with_routes_aliases_or_unfinished_tasks_is_not_removed()
    {
        Assert.True(await Models.SaveAsync("grok-imagine-video", new ModelSpec(), create: true, Now, Ct));
        Assert.True(await Models.SaveAsync("alias", new ModelSpec { AliasOf = "grok-imagine-video" }, create: true, Now, Ct));
        Assert.Equal(ModelDeleteOutcome.Missing, await Models.DeleteAsync("nothing", Ct));
        Assert.Equal(ModelDeleteOutcome.HasAliases, await Models.DeleteAsync("grok-imagine-video", Ct));
        Assert.Equal(ModelDeleteOutcome.Deleted, await Models.DeleteAsync("alias", Ct));

        var settings = new UpstreamSettings("up-1", "xai", new Uri("https://api.x.ai"), ["k"], TimeSpan.FromSeconds(30), 0, 0,
            new Dictionary<string, string>(StringComparer.Ordinal), null);
        Assert.True(await Engine.UpstreamConfig.SaveProviderAsync(settings, create: true, Now, Ct));
        Assert.True(await Engine.UpstreamConfig.AddRouteAsync(new RouteRecord("route_1", "grok-imagine-video", "up-1", 0, 1, Now), Ct));
        Assert.Equal(ModelDeleteOutcome.HasRoutes, await Models.DeleteAsync("grok-imagine-video", Ct));
        Assert.True(await Engine.UpstreamConfig.DeleteRouteAsync("route_1", Ct));

        var task = NewTask();
        await Engine.Tasks.InsertAsync(task, Ct);
        Assert.Equal(ModelDeleteOutcome.InUse, await Models.DeleteAsync("grok-imagine-video", Ct));
        Assert.True((await Engine.Tasks.CancelAsync(task.Id, task.AccountId, Now, Ct)).Changed);

        Assert.Equal(ModelDeleteOutcome.Deleted, await Models.DeleteAsync("grok-imagine-video", Ct));
        Assert.Empty(await Models.ModelsAsync(Ct));
    }
}

public sealed class SqliteModelStoreTests() : ModelStoreContract(new SqliteEngine());
