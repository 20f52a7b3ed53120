using Vidgate.Server.Providers.Http;

namespace Vidgate.Tests.Providers.Http;

public sealed class MediaTypesTests
{
    [Theory]
    [InlineData("image/png", "png")]
    [InlineData("image/jpeg", "jpg")]
    [InlineData("image/JPEG", "jpg")]
    [InlineData("image/webp", "webp")]
    [InlineData("application/octet-stream", "png")]
    public void Each_image_type_has_its_extension(string mediaType, string extension)
        => Assert.Equal(extension, MediaTypes.Extension(mediaType));

    [Theory]
    [InlineData("inputs/task/0.png", "image/png")]
    [InlineData(".WEBP", "image/webp")]
    [InlineData("jpg", "image/jpeg")]
    [InlineData("file", "image/jpeg")]
    public void Each_extension_has_its_image_type(string name, string mediaType)
        => Assert.Equal(mediaType, MediaTypes.FromExtension(name));
}
