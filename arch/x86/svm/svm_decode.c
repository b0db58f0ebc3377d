/* Out-of-line copy of the SVM exit decoder (the inline one in svm_decode.h
 * is what the backend uses), for the host unit tests and fuzzers. */
#include "arch/x86/svm/svm_decode.h"

void svm_decode_exit(const struct svm_exit_raw *raw, struct vm_exit *e)
{
	svm_decode_exit_inline(raw, e);
}
