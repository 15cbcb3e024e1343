// libjpeg-turbo's TurboJPEG API, as installed by Debian's libturbojpeg0-dev: it reports a corrupt file
// as an error code and a message (libjpeg's own API would need setjmp, which Swift cannot use).
#include <turbojpeg.h>
