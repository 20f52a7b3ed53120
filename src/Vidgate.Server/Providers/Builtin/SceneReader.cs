namespace Vidgate.Server.Providers.Builtin;

/// <summary>
/// Reads a <see cref="Scene"/> from a prompt: the scene vocabulary, English and Chinese. Pure and deterministic. Words it
/// does not know are ignored; a prompt with no known word gets a calm landscape by day. When a class has several
/// matches, the one said first wins (settings, time); elements and styles add up.
/// </summary>
internal static class SceneReader
{
    private static readonly (Setting Setting, string[] Terms)[] Settings =
    [
        (Setting.CityStreet, ["city", "street", "urban", "downtown", "avenue", "alley", "town", "cyberpunk", "城市", "街道", "街头", "都市", "小镇"]),
        (Setting.Forest, ["forest", "woods", "jungle", "woodland", "森林", "树林", "丛林"]),
        (Setting.Beach, ["beach", "ocean", "sea", "coast", "shore", "seaside", "waves", "海滩", "海边", "沙滩", "大海", "海洋", "海浪"]),
        (Setting.Mountains, ["mountain", "mountains", "peak", "alps", "summit", "山峰", "雪山", "高山", "山脉", "群山"]),
        (Setting.Desert, ["desert", "dune", "dunes", "canyon", "沙漠", "沙丘", "峡谷"]),
        (Setting.Snowfield, ["snowfield", "snow field", "tundra", "glacier", "arctic", "雪原", "雪地", "冰川", "北极"]),
        (Setting.Lake, ["lake", "river", "pond", "stream", "湖", "河", "江", "池塘"]),
        (Setting.Meadow, ["meadow", "field", "grassland", "prairie", "hills", "countryside", "草地", "草原", "田野", "山坡"]),
        (Setting.Room, ["room", "interior", "indoors", "indoor", "bedroom", "kitchen", "office", "cafe", "studio", "房间", "室内", "卧室", "客厅", "咖啡馆"]),
        (Setting.Space, ["outer space", "space", "galaxy", "nebula", "planet", "cosmos", "太空", "宇宙", "星系", "星云"]),
    ];

    private static readonly (TimeOfDay Time, string[] Terms)[] Times =
    [
        (TimeOfDay.Dawn, ["dawn", "sunrise", "early morning", "morning", "daybreak", "清晨", "黎明", "日出", "早晨", "早上", "拂晓"]),
        (TimeOfDay.Day, ["noon", "midday", "daytime", "afternoon", "sunny", "daylight", "broad day", "中午", "正午", "白天", "下午", "晴天"]),
        (TimeOfDay.GoldenHour, ["golden hour", "golden light", "magic hour", "黄金时刻", "金色的阳光", "金色阳光"]),
        (TimeOfDay.Sunset, ["sunset", "sundown", "setting sun", "日落", "夕阳", "落日"]),
        (TimeOfDay.Dusk, ["dusk", "twilight", "evening", "blue hour", "黄昏", "傍晚", "暮色"]),
        (TimeOfDay.Night, ["night", "midnight", "moonlight", "moonlit", "starry", "nighttime", "夜晚", "夜里", "夜色", "深夜", "月光", "星空", "晚上", "夜"]),
    ];

    private static readonly (SceneElements Element, string[] Terms)[] Elements =
    [
        (SceneElements.Trees, ["tree", "trees", "leaves", "leaf", "foliage", "canopy", "branches", "palm", "树", "树叶", "树林", "枝叶"]),
        (SceneElements.Buildings, ["building", "skyscraper", "tower", "house", "skyline", "建筑", "高楼", "大楼", "房子", "楼"]),
        (SceneElements.Road, ["road", "street", "highway", "avenue", "lane", "path", "公路", "马路", "街道", "道路", "小路"]),
        (SceneElements.Clouds, ["cloud", "clouds", "cloudy", "overcast", "云"]),
        (SceneElements.Water, ["water", "river", "lake", "sea", "ocean", "pond", "reflection", "reflections", "水", "河", "湖", "海", "倒影"]),
        (SceneElements.Birds, ["bird", "birds", "seagull", "gull", "flock", "鸟", "海鸥", "飞鸟"]),
        (SceneElements.Rain, ["rain", "rainy", "raining", "drizzle", "storm", "downpour", "雨"]),
        (SceneElements.Snow, ["snow", "snowy", "snowing", "snowfall", "blizzard", "snowflakes", "雪"]),
        (SceneElements.Fog, ["fog", "foggy", "mist", "misty", "haze", "hazy", "雾", "薄雾"]),
        (SceneElements.SunRays, ["sun rays", "sunrays", "light shafts", "god rays", "sunbeam", "sunbeams", "rays of light", "light rays", "filtering through", "streaming through", "dappled", "阳光透过", "光束", "光线透过", "丁达尔"]),
        (SceneElements.Fireflies, ["firefly", "fireflies", "sparkle", "sparkles", "sparkling", "glitter", "萤火虫", "闪光", "闪烁"]),
        (SceneElements.Neon, ["neon", "neon sign", "neon signs", "cyberpunk", "霓虹"]),
        (SceneElements.Mountains, ["mountain", "mountains", "peak", "山"]),
    ];

    private static readonly (SceneStyle Style, string[] Terms)[] Styles =
    [
        (SceneStyle.Neon, ["neon", "cyberpunk", "霓虹", "赛博朋克"]),
        (SceneStyle.Pastel, ["pastel", "soft colors", "soft colours", "粉彩", "马卡龙", "柔和"]),
        (SceneStyle.Warm, ["warm", "cozy", "cosy", "温暖", "暖色", "暖调"]),
        (SceneStyle.Cold, ["cold", "cool tones", "icy", "freezing", "冷色", "冷调", "寒冷", "冰冷"]),
        (SceneStyle.BlackAndWhite, ["black and white", "monochrome", "grayscale", "greyscale", "noir", "黑白"]),
        (SceneStyle.Vintage, ["vintage", "retro", "old film", "film grain", "sepia", "nostalgic", "复古", "怀旧", "老电影"]),
    ];

    private static readonly string[] Slow = ["slow", "slowly", "gentle", "gently", "gradual", "gradually", "leisurely", "缓缓", "缓慢", "慢慢", "徐徐", "轻轻"];
    private static readonly string[] Fast = ["fast", "quick", "quickly", "rapid", "rapidly", "swift", "swiftly", "speeding", "rushing", "快速", "迅速", "飞快", "疾驰"];

    // What a setting brings without being asked: a city street has buildings and a road, a beach has water.
    private static SceneElements Implied(Setting setting) => setting switch
    {
        Setting.CityStreet => SceneElements.Buildings | SceneElements.Road,
        Setting.Forest => SceneElements.Trees,
        Setting.Beach => SceneElements.Water | SceneElements.Clouds,
        Setting.Mountains => SceneElements.Mountains,
        Setting.Lake => SceneElements.Water | SceneElements.Trees | SceneElements.Mountains,
        Setting.Meadow => SceneElements.Trees | SceneElements.Clouds,
        Setting.Landscape => SceneElements.Mountains | SceneElements.Trees | SceneElements.Clouds,
        Setting.Desert => SceneElements.Mountains,
        Setting.Snowfield => SceneElements.Mountains,
        _ => SceneElements.None,
    };

    public static Scene Read(string prompt)
    {
        var plan = ScenePlanner.Plan(prompt);
        var text = SceneText.Join(ScenePlanner.Words(prompt));
        var setting = Earliest(text, Settings) ?? Setting.Landscape;
        var time = Earliest(text, Times) ?? TimeOfDay.Day;
        var elements = Implied(setting);
        foreach (var (element, terms) in Elements)
        {
            if (SceneText.First(text, terms) >= 0)
            {
                elements |= element;
            }
        }
        // Rooms and space have no weather and no horizon silhouettes.
        if (setting is Setting.Room or Setting.Space)
        {
            elements &= ~(SceneElements.Mountains | SceneElements.Road | SceneElements.Clouds | SceneElements.Rain | SceneElements.Snow);
        }
        var style = SceneStyle.None;
        foreach (var (value, terms) in Styles)
        {
            if (SceneText.First(text, terms) >= 0)
            {
                style |= value;
            }
        }
        var slow = SceneText.First(text, Slow);
        var fast = SceneText.First(text, Fast);
        var pace = (slow, fast) switch
        {
            ( < 0, < 0) => CameraPace.Normal,
            ( >= 0, < 0) => CameraPace.Slow,
            ( < 0, >= 0) => CameraPace.Fast,
            _ => slow < fast ? CameraPace.Slow : CameraPace.Fast,
        };
        return new Scene(setting, time, elements, style, plan.Motion, pace, plan.Seed);
    }

    private static T? Earliest<T>(string text, (T Value, string[] Terms)[] table)
        where T : struct, Enum
    {
        T? best = null;
        var bestIndex = int.MaxValue;
        foreach (var (value, terms) in table)
        {
            var index = SceneText.First(text, terms);
            if (index >= 0 && index < bestIndex)
            {
                (best, bestIndex) = (value, index);
            }
        }
        return best;
    }
}
