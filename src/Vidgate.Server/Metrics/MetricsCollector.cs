using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Vidgate.Server.Metrics;

/// <summary>
/// Listens to this host's <c>Vidgate</c> meter and keeps running totals for the Prometheus exposition: a counter per
/// label set, a histogram's bucket counts per label set. Each instrument's state rides on the listener's
/// per-instrument state object and each series is a cell updated with <see cref="Interlocked"/>: no global lock, and
/// after a series' first measurement no allocation either.
/// </summary>
internal sealed class MetricsCollector : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, Aggregate> _instruments = new();

    public MetricsCollector(IMeterFactory meters)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            // Other hosts in the process (tests) have meters of the same name: only this factory's are ours.
            if (instrument.Meter.Name != VidgateMetrics.MeterName || !ReferenceEquals(instrument.Meter.Scope, meters))
            {
                return;
            }

            Aggregate aggregate = instrument switch
            {
                Histogram<double> histogram => new HistogramAggregate(instrument, histogram.Advice?.HistogramBucketBoundaries ?? VidgateMetrics.RenderBuckets),
                _ => new CounterAggregate(instrument),
            };
            _instruments[instrument] = aggregate;
            listener.EnableMeasurementEvents(instrument, aggregate);
        };
        _listener.MeasurementsCompleted = (instrument, state) => _instruments.TryRemove(instrument, out Aggregate? _);
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((Aggregate)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((Aggregate)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((Aggregate)state!).Record(value, tags));
        _listener.Start();
    }

    /// <summary>Writes every instrument's series, instruments in name order, series in label order.</summary>
    public void WriteTo(PrometheusText text)
    {
        foreach (var aggregate in _instruments.Values.OrderBy(a => a.Instrument.Name, StringComparer.Ordinal))
        {
            aggregate.WriteTo(text);
        }
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>Up to four label values (our instruments have at most three), compared by value: a lookup key that allocates nothing.</summary>
    private readonly record struct LabelKey(string? A, string? B, string? C, string? D)
    {
        public static LabelKey From(ReadOnlySpan<KeyValuePair<string, object?>> tags)
            => new(Value(tags, 0), Value(tags, 1), Value(tags, 2), tags.Length > 4 ? string.Join(',', tags[3..].ToArray().Select(t => t.Value)) : Value(tags, 3));

        private static string? Value(ReadOnlySpan<KeyValuePair<string, object?>> tags, int i) => i < tags.Length ? tags[i].Value?.ToString() : null;
    }

    private abstract class Aggregate(Instrument instrument)
    {
        public Instrument Instrument => instrument;

        /// <summary>The Prometheus name: dots become underscores.</summary>
        protected string Name { get; } = instrument.Name.Replace('.', '_');

        public abstract void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags);

        public virtual void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags) => Record((double)value, tags);

        public abstract void WriteTo(PrometheusText text);

        protected static KeyValuePair<string, string>[] Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var labels = new KeyValuePair<string, string>[tags.Length];
            for (var i = 0; i < tags.Length; i++)
            {
                labels[i] = new(tags[i].Key, tags[i].Value?.ToString() ?? "");
            }

            return labels;
        }
    }

    private sealed class CounterAggregate(Instrument instrument) : Aggregate(instrument)
    {
        private readonly ConcurrentDictionary<LabelKey, Cell> _series = new();

        public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) => Record((long)value, tags);

        public override void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var key = LabelKey.From(tags);
            if (!_series.TryGetValue(key, out var cell))
            {
                cell = _series.GetOrAdd(key, new Cell(Labels(tags)));
            }

            Interlocked.Add(ref cell.Value, value);
        }

        public override void WriteTo(PrometheusText text)
        {
            var name = Name + "_total";
            text.Header(name, "counter", Instrument.Description);
            foreach (var cell in _series.Values.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                text.Sample(name, cell.Labels, Interlocked.Read(ref cell.Value));
            }
        }

        private sealed class Cell(KeyValuePair<string, string>[] labels)
        {
            public long Value;

            public KeyValuePair<string, string>[] Labels => labels;

            public string Key { get; } = string.Join('\u0001', labels.Select(l => l.Key + "=" + l.Value));
        }
    }

    private sealed class HistogramAggregate(Instrument instrument, IReadOnlyList<double> bounds) : Aggregate(instrument)
    {
        private readonly double[] _bounds = [.. bounds.Order()];
        private readonly ConcurrentDictionary<LabelKey, Cell> _series = new();

        public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var key = LabelKey.From(tags);
            if (!_series.TryGetValue(key, out var cell))
            {
                cell = _series.GetOrAdd(key, new Cell(Labels(tags), _bounds.Length + 1));
            }

            // Buckets are kept per interval (the last one is above every bound) and summed up when written, so the
            // written count, the +Inf bucket, always equals the buckets even while a measurement is being recorded.
            var index = 0;
            while (index < _bounds.Length && value > _bounds[index])
            {
                index++;
            }

            Interlocked.Increment(ref cell.Buckets[index]);
            var sum = Volatile.Read(ref cell.Sum);
            while (true)
            {
                var seen = Interlocked.CompareExchange(ref cell.Sum, sum + value, sum);
                if (seen.Equals(sum))
                {
                    break;
                }

                sum = seen;
            }
        }

        public override void WriteTo(PrometheusText text)
        {
            text.Header(Name, "histogram", Instrument.Description);
            foreach (var cell in _series.Values.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                long cumulative = 0;
                for (var i = 0; i <= _bounds.Length; i++)
                {
                    cumulative += Interlocked.Read(ref cell.Buckets[i]);
                    var le = i < _bounds.Length ? PrometheusText.Number(_bounds[i]) : "+Inf";
                    text.Sample(Name + "_bucket", [.. cell.Labels, new("le", le)], cumulative);
                }

                text.Sample(Name + "_sum", cell.Labels, Volatile.Read(ref cell.Sum));
                text.Sample(Name + "_count", cell.Labels, cumulative);
            }
        }

        private sealed class Cell(KeyValuePair<string, string>[] labels, int buckets)
        {
            public readonly long[] Buckets = new long[buckets];
            public double Sum;

            public KeyValuePair<string, string>[] Labels => labels;

            public string Key { get; } = string.Join('\u0001', labels.Select(l => l.Key + "=" + l.Value));
        }
    }
}
