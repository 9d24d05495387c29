/* libgit2_probe URL: connects to URL with libgit2 and lists its references, to prove that
 * the library itself (mbedTLS for HTTPS, libssh2 for SSH) can talk to the test servers.
 * Built on the fly by servers_test.sh; not part of gitdest.
 *
 * Environment: PROBE_CA (CA file for HTTPS), PROBE_USER and PROBE_PASSWORD (basic auth),
 * PROBE_SSH_KEY and PROBE_SSH_PUBKEY (SSH key files), PROBE_HOSTKEY=passthrough to leave
 * the host key verdict to libgit2 ($HOME/.ssh/known_hosts) instead of accepting any.
 *
 * Prints "hostkey known=K types=T raw_type=R raw=HEX sha256=HEX" for an SSH host key (K is
 * libgit2's known_hosts verdict, T the git_cert_ssh_t flags), then "ref NAME" per ref.
 * Exits 0 when the references were listed, 1 otherwise. */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_hex(const char* label, const unsigned char* bytes, size_t len) {
  printf(" %s=", label);
  for (size_t i = 0; i < len; i++) printf("%02x", bytes[i]);
}

static int check_hostkey(git_cert* cert, int valid, const char* host, void* payload) {
  (void)host;
  (void)payload;
  /* TLS certificates keep libgit2's own verdict. */
  if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2) return GIT_PASSTHROUGH;
  const git_cert_hostkey* key = (const git_cert_hostkey*)cert;
  printf("hostkey known=%d types=%d raw_type=%d", valid, (int)key->type, (int)key->raw_type);
  if (key->type & GIT_CERT_SSH_RAW)
    print_hex("raw", (const unsigned char*)key->hostkey, key->hostkey_len);
  if (key->type & GIT_CERT_SSH_SHA256) print_hex("sha256", key->hash_sha256, 32);
  printf("\n");
  const char* mode = getenv("PROBE_HOSTKEY");
  return mode && strcmp(mode, "passthrough") == 0 ? GIT_PASSTHROUGH : 0;
}

/* Offers one credential only: libgit2 asks again after a rejected one, which would loop. */
static int credentials(git_credential** out, const char* url, const char* user_from_url,
                       unsigned int allowed, void* payload) {
  int* calls = payload;
  (void)url;
  if ((*calls)++ > 0) {
    git_error_set_str(GIT_ERROR_NET, "the server rejected the credentials");
    return GIT_EAUTH;
  }
  if (allowed & GIT_CREDENTIAL_SSH_KEY)
    return git_credential_ssh_key_new(out, user_from_url, getenv("PROBE_SSH_PUBKEY"),
                                      getenv("PROBE_SSH_KEY"), NULL);
  if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT)
    return git_credential_userpass_plaintext_new(out, getenv("PROBE_USER"),
                                                 getenv("PROBE_PASSWORD"));
  return GIT_EUSER;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: libgit2_probe URL\n");
    return 2;
  }
  git_libgit2_init();
  const char* ca = getenv("PROBE_CA");
  git_remote* remote = NULL;
  int calls = 0;
  git_remote_callbacks callbacks;
  git_remote_init_callbacks(&callbacks, GIT_REMOTE_CALLBACKS_VERSION);
  callbacks.credentials = credentials;
  callbacks.certificate_check = check_hostkey;
  callbacks.payload = &calls;
  const git_remote_head** refs = NULL;
  size_t count = 0;
  int rc = 0;
  if (ca) rc = git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, ca, NULL);
  if (rc == 0) rc = git_remote_create_anonymous(&remote, NULL, argv[1]);
  if (rc == 0) rc = git_remote_connect(remote, GIT_DIRECTION_FETCH, &callbacks, NULL, NULL);
  if (rc == 0) rc = git_remote_ls(&refs, &count, remote);
  for (size_t i = 0; rc == 0 && i < count; i++) printf("ref %s\n", refs[i]->name);
  if (rc != 0) {
    const git_error* e = git_error_last();
    printf("error %d: %s\n", rc, e ? e->message : "(no message)");
  }
  git_remote_free(remote);
  git_libgit2_shutdown();
  return rc == 0 ? 0 : 1;
}
