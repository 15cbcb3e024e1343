// libpng's simplified reading API, as installed by Debian's libpng-dev. Its format macros are
// expressions Swift does not import: the one dnnc reads is given here as a constant.
#include <png.h>

static const unsigned int dnnc_png_format_rgba = PNG_FORMAT_RGBA;
static const unsigned int dnnc_png_image_version = PNG_IMAGE_VERSION;
