using Vidgate.Server.Models;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Dialects;

/// <summary>
/// A create that passed every rule but the bytes of its remote images: the request without images, the images checked
/// so far (null where a remote one is still to be fetched), in order.
/// </summary>
internal sealed record CheckedCreate(VideoRequest Request, IReadOnlyList<InputImage?> Images, IReadOnlyList<ImageInput> Inputs);

/// <summary>
/// The validation ladder every dialect shares, written once (DESIGN §1): model → prompt → seconds → aspect ratio and
/// resolution (or an OpenAI size) → output size → images (how many, then each one). The first failure is the answer.
/// It does no I/O: remote images are only counted here; <see cref="Complete"/> checks their bytes once fetched.
/// </summary>
internal static class CreateLadder
{
    public const int MaxImages = 7;

    public static (CheckedCreate? Checked, ApiError? Error) Check(CreateDraft draft, ModelCatalog catalog, long maxImageBytes)
    {
        if (draft.Model.Error is { } modelError)
        {
            return (null, modelError);
        }

        var modelName = draft.Model.Text;
        if (string.IsNullOrWhiteSpace(modelName))
        {
            return (null, CreateErrors.MissingModel());
        }

        if (catalog.Find(modelName) is not { } model)
        {
            return (null, CreateErrors.UnknownModel(modelName, draft.ListedModels is { } listed ? catalog.Names.Where(listed) : catalog.Names));
        }

        var prompt = draft.Prompt.Text;
        if ((draft.Prompt.Error ?? RequestRules.Prompt(prompt, draft.Prompt.Param)) is { } promptError)
        {
            return (null, promptError);
        }

        var (seconds, secondsError) = Seconds(draft.Seconds, model, modelName);
        if (secondsError is not null)
        {
            return (null, secondsError);
        }

        var (width, height, aspect, resolution, shapeError) = Shape(draft, model, modelName);
        if (shapeError is not null)
        {
            return (null, shapeError);
        }

        if (draft.ImagesError is { } imagesError)
        {
            return (null, imagesError);
        }

        var count = draft.Images.Count;
        var max = draft.Count == ImageCount.OpenAi ? model.MaxImages : Math.Min(MaxImages, model.MaxImages);
        if (draft.Count != ImageCount.None && (draft.ImageListInvalid || count > max))
        {
            return (null, draft.Count switch
            {
                ImageCount.SeedImages => CreateErrors.ImagesCount(max, count),
                ImageCount.XaiReferences => CreateErrors.ReferenceImagesCount(max),
                ImageCount.LegacyReferences => CreateErrors.InputReferencesCount(max, count),
                _ => CreateErrors.ModelImageCount(modelName, max),
            });
        }

        var images = new InputImage?[count];
        for (var i = 0; i < count; i++)
        {
            var input = draft.Images[i];
            if (input.IsRemote)
            {
                continue;
            }

            var (image, error) = Image(input, maxImageBytes);
            if (error is not null)
            {
                return (null, error);
            }

            images[i] = image;
        }

        if (draft.CallbackUrl is { Error: { } callbackError })
        {
            return (null, callbackError);
        }

        // Only read here; whether deliveries may go there (the SSRF guard) is the create path's check, after this one.
        var request = new VideoRequest(modelName, prompt!, seconds, width, height, aspect, resolution, []) { CallbackUrl = draft.CallbackUrl?.Text };
        return (new CheckedCreate(request, images, draft.Images), null);
    }

    /// <summary>The checked create with the fetched bytes of its remote images (in <see cref="CreateDraft.RemoteImages"/> order).</summary>
    public static (VideoRequest? Request, ApiError? Error) Complete(CheckedCreate create, IReadOnlyList<byte[]> fetched, long maxImageBytes)
    {
        var images = new List<InputImage>(create.Images.Count);
        var next = 0;
        for (var i = 0; i < create.Images.Count; i++)
        {
            if (create.Images[i] is { } image)
            {
                images.Add(image);
                continue;
            }

            var (checkedImage, error) = RequestRules.FetchedImage(fetched[next++], create.Inputs[i].Param);
            if (error is not null)
            {
                return (null, error);
            }

            images.Add(checkedImage!);
        }

        return (create.Request with { Images = images }, null);
    }

    private static (int Seconds, ApiError? Error) Seconds(Field field, ModelSpec model, string modelName)
    {
        if (field.Error is { } error)
        {
            return (0, error);
        }

        if (field.Number is { } number)
        {
            return !double.IsFinite(number) || number != Math.Floor(number) || number is > int.MaxValue or < int.MinValue
                ? (0, CreateErrors.SecondsNotWhole(field.Param))
                : RequestRules.Seconds((long)number, model, modelName, field.Param);
        }

        return RequestRules.Seconds(field.Text, model, modelName, field.Param);
    }

    private static (int Width, int Height, string Aspect, string Resolution, ApiError? Error) Shape(CreateDraft draft, ModelSpec model, string modelName)
    {
        if (draft.Size is { } size)
        {
            return size.Error is { } sizeError ? (0, 0, "", "", sizeError) : RequestRules.Size(size.Text, model, modelName, size.Param);
        }

        if (draft.AspectRatio.Error is { } aspectTypeError)
        {
            return (0, 0, "", "", aspectTypeError);
        }

        var (aspect, ratio, aspectError) = RequestRules.AspectRatio(draft.AspectRatio.Text, draft.AspectRatio.Param);
        if (aspectError is not null)
        {
            return (0, 0, "", "", aspectError);
        }

        var (shortSide, resolutionError) = draft.Resolution.Error is { } resolutionTypeError
            ? (0, resolutionTypeError)
            : RequestRules.Resolution(draft.Resolution.Text, model, draft.Resolution.Param);
        if (resolutionError is not null)
        {
            return (0, 0, "", "", resolutionError);
        }

        var (width, height) = RequestRules.OutputSize(shortSide, ratio);
        return (width, height, aspect, $"{shortSide}P", null);
    }

    private static (InputImage? Image, ApiError? Error) Image(ImageInput input, long maxImageBytes) => input switch
    {
        { Error: { } error } => (null, error),
        { Source: ImageSource.File, Bytes: null } => (null, CreateErrors.ImageTooLarge(input.Param, maxImageBytes)),
        { Source: ImageSource.File } => RequestRules.FileImage(input.Bytes!, maxImageBytes, input.Param),
        { Source: ImageSource.Url } => RequestRules.ImageUrl(input.Text, maxImageBytes, input.Param),
        _ => RequestRules.DataUriImage(input.Text, maxImageBytes, input.Param),
    };
}
