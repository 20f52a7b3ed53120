using Vidgate.Server.Tasks;

namespace Vidgate.Server.Live;

/// <summary>
/// The task change feed: registered after the database (<c>AddDatabase</c>), it wraps the engine's task and upstream-job
/// stores so that every write that changes what a client sees publishes the task's id (<see cref="TaskChangeNotes"/>).
/// The relay to other nodes is the engine's (<see cref="ITaskChangeRelay"/>, registered by <c>Data/DataExtensions</c>).
/// </summary>
internal static class LiveExtensions
{
    public static IServiceCollection AddLive(this IServiceCollection services)
    {
        services.AddOptions<LiveOptions>()
            .BindConfiguration(LiveOptions.Section)
            .Validate(o => o.HeartbeatInterval > TimeSpan.Zero && o.RecheckInterval > TimeSpan.Zero && o.MaxStreamDuration > TimeSpan.Zero, "Vidgate:Live intervals must be positive.")
            .ValidateOnStart();
        services.AddSingleton<TaskChanges>();
        services.AddSingleton<TaskFollower>();
        services.AddSingleton(sp => new TaskChangeNotes(
            sp.GetRequiredService<TaskChanges>(), sp.GetService<ITaskChangeRelay>() ?? ITaskChangeRelay.LocalOnly));
        Decorate<ITaskStore>(services, (inner, notes) => new NotifyingTaskStore(inner, notes));
        Decorate<IUpstreamJobStore>(services, (inner, notes) => new NotifyingUpstreamJobStore(inner, notes));
        return services;
    }

    /// <summary>Replaces the registration of <typeparamref name="T"/> with <paramref name="wrap"/> around it.</summary>
    private static void Decorate<T>(IServiceCollection services, Func<T, TaskChangeNotes, T> wrap)
        where T : class
    {
        var inner = services.LastOrDefault(d => d.ServiceType == typeof(T))
            ?? throw new InvalidOperationException($"AddLive wraps {typeof(T).Name}: call AddDatabase first.");
        services.Remove(inner);
        services.AddSingleton(sp => wrap(Build<T>(inner, sp), sp.GetRequiredService<TaskChangeNotes>()));
    }

    private static T Build<T>(ServiceDescriptor descriptor, IServiceProvider services) where T : class => descriptor switch
    {
        { ImplementationInstance: T instance } => instance,
        { ImplementationFactory: { } factory } => (T)factory(services),
        { ImplementationType: { } type } => (T)ActivatorUtilities.CreateInstance(services, type),
        _ => throw new InvalidOperationException($"Cannot wrap the registration of {typeof(T).Name}."),
    };
}
