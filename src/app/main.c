/*
 * parleyd - the Parley live-chat server.
 *
 *   parleyd [--listen HOST:PORT] [--data-dir DIR] [...]     serve
 *   parleyd admin create --email E --name N --password P [--data-dir DIR]
 *   parleyd migrate --from sqlite:PATH --to postgres://…         SQLite -> PostgreSQL
 *   parleyd --help | --version
 *
 * Every serve flag also has a PARLEY_* variable (see --help).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sodium.h>
#include <unistd.h>
#include <uv.h>

#include "core/account_service.h"
#include "core/audit.h"
#include "core/config.h"
#include "core/ids.h"
#include "util/fd_limit.h"
#include "util/log.h"
#include "core/strategy.h"
#include "net/cluster/bus.h"
#include "net/server.h"
#include "strategies/builtin.h"
#include "storage/backend.h"
#include "storage/migrate.h"

static const char *env_lookup(const char *name, void *ctx) {
    (void)ctx;
    return getenv(name);
}

static void print_usage(FILE *out) {
    fprintf(out,
            "parleyd %s - self-hosted live chat for customer service\n\n"
            "usage:\n"
            "  parleyd [options]                 serve the API, WebSocket and web pages\n"
            "  parleyd admin create --email E --name N --password P [options]\n"
            "                                    create an admin account (the password may\n"
            "                                    also come from PARLEY_ADMIN_PASSWORD)\n"
            "  parleyd migrate --from sqlite:PATH --to postgres://...\n"
            "                                    copy a SQLite database (its file, or a data dir)\n"
            "                                    into a new PostgreSQL database, verified\n"
            "  parleyd --version\n\n"
            "options (flag, or the PARLEY_* variable named beside it):\n",
            PARLEY_VERSION);
    parley_config_print_help(out);
}

/* Takes "--name value" / "--name=value" out of argv for admin create. */
static const char *take_flag(int *argc, char **argv, const char *flag) {
    size_t n = strlen(flag);
    for (int i = 0; i < *argc; i++) {
        const char *value = NULL;
        int width = 0;
        if (strcmp(argv[i], flag) == 0 && i + 1 < *argc) {
            value = argv[i + 1];
            width = 2;
        } else if (strncmp(argv[i], flag, n) == 0 && argv[i][n] == '=') {
            value = argv[i] + n + 1;
            width = 1;
        }
        if (value != NULL) {
            memmove(&argv[i], &argv[i + width], (size_t)(*argc - i - width) * sizeof *argv);
            *argc -= width;
            return value;
        }
    }
    return NULL;
}

static int admin_create(int argc, char **argv) {
    const char *email = take_flag(&argc, argv, "--email");
    const char *name = take_flag(&argc, argv, "--name");
    const char *password = take_flag(&argc, argv, "--password");
    if (password == NULL) {
        password = getenv("PARLEY_ADMIN_PASSWORD");
    }
    parley_config cfg;
    parley_config_defaults(&cfg);
    parley_error err = {0};
    bool help = false;
    if (parley_config_parse(&cfg, argc, (const char *const *)argv, 3, env_lookup, NULL, &help,
                            &err) != PARLEY_OK) {
        fprintf(stderr, "parleyd admin create: %s\n", err.message);
        parley_config_free(&cfg);
        return 2;
    }
    if (help || email == NULL || name == NULL || password == NULL) {
        fprintf(stderr, "parleyd admin create: --email, --name and --password are required\n"
                        "usage: parleyd admin create --email E --name N --password P "
                        "[--data-dir DIR]\n");
        parley_config_free(&cfg);
        return help ? 0 : 2;
    }
    char db_url[1024];
    parley_status st =
        parley_config_database_url(&cfg, db_url, sizeof db_url)
            ? PARLEY_OK
            : parley_error_set(&err, PARLEY_E_INVALID, "invalid_config", "--database: too long");
    mkdir(cfg.data_dir, 0700);
    parley_repository *repo = NULL;
    parley_storage_options options = {.durable = true, .busy_timeout_ms = 5000};
    if (st == PARLEY_OK) {
        st = parley_storage_migrate(db_url, &err);
    }
    if (st == PARLEY_OK) {
        st = parley_storage_open(db_url, &options, &repo, &err);
    }
    parley_agent agent = {0};
    if (st == PARLEY_OK) {
        parley_account_service accounts = {.repo = repo, .config = &cfg};
        parley_agent_input in = {
            .name = name, .email = email, .password = password, .role = "admin"};
        st = parley_account_create_agent(&accounts, &in, &agent, &err);
        if (st == PARLEY_OK) {
            st = parley_audit_record(repo, NULL, "agent.create", agent.id, "",
                                     json_pack("{s:s, s:s}", "role", "admin", "via", "cli"), &err);
        }
    }
    if (st == PARLEY_OK) {
        printf("created admin %s <%s> (id %s)\n", agent.name, agent.email, agent.id);
    } else {
        fprintf(stderr, "parleyd admin create: %s\n", err.message);
    }
    parley_agent_free(&agent);
    if (repo != NULL) {
        repo->ops->close(repo);
    }
    parley_config_free(&cfg);
    return st == PARLEY_OK ? 0 : 1;
}

/* parleyd migrate (storage/migrate.h): --from sqlite:PATH (the database
 * file, or a data dir holding parley.db) or --data-dir DIR, --to the
 * PostgreSQL URL; the upload files are looked for in --uploads-dir, by
 * default the uploads directory beside the SQLite file. Exit 0 when
 * everything was copied and verified, 1 when it failed (rolled back), 2
 * on a usage error. */
static int migrate_command(int argc, char **argv) {
    const char *from = take_flag(&argc, argv, "--from");
    const char *to = take_flag(&argc, argv, "--to");
    const char *data_dir = take_flag(&argc, argv, "--data-dir");
    const char *uploads = take_flag(&argc, argv, "--uploads-dir");
    if (argc != 2 || to == NULL || (from == NULL) == (data_dir == NULL)) {
        fprintf(stderr, "usage: parleyd migrate --from sqlite:PATH --to postgres://...\n"
                        "       (PATH: the database file or a data dir; or --data-dir DIR)\n"
                        "       [--uploads-dir DIR]  where the upload files are (default: the\n"
                        "                            uploads directory beside the database)\n");
        return 2;
    }
    if (from != NULL && strncmp(from, "sqlite:", 7) != 0) {
        fprintf(stderr, "parleyd migrate: --from takes sqlite:PATH\n");
        return 2;
    }
    char path[1100], dir[1024], uploads_dir[1100];
    if (strlen(from != NULL ? from + 7 : data_dir) >= sizeof dir) {
        fprintf(stderr, "parleyd migrate: the path is too long\n");
        return 2;
    }
    snprintf(path, sizeof path, "%s", from != NULL ? from + 7 : data_dir);
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        snprintf(dir, sizeof dir, "%.1023s", path);
        snprintf(path, sizeof path, "%s/parley.db", dir);
    } else {
        snprintf(dir, sizeof dir, "%.1023s", path);
        char *slash = strrchr(dir, '/');
        if (slash == NULL) {
            snprintf(dir, sizeof dir, ".");
        } else {
            slash[slash == dir ? 1 : 0] = '\0';
        }
    }
    if (stat(path, &sb) != 0) {
        fprintf(stderr, "parleyd migrate: %s: %s\n", path, strerror(errno));
        return 1;
    }
    snprintf(uploads_dir, sizeof uploads_dir, "%s/uploads", dir);
    parley_migrate_options options = {.sqlite_path = path,
                                      .pg_url = to,
                                      .uploads_dir = uploads != NULL ? uploads : uploads_dir,
                                      .out = stdout};
    printf("migrating %s to PostgreSQL\n", path);
    parley_error err = {0};
    if (parley_migrate_sqlite_to_postgres(&options, &err) != PARLEY_OK) {
        fprintf(stderr, "parleyd migrate: %s\n", err.message);
        return 1;
    }
    return 0;
}

/* The strategies start with what they learnt: the database is migrated
 * and read once here, before the server's workers open it. */
static parley_status load_strategies(const parley_config *cfg, parley_strategy_registry *registry,
                                     parley_builtin_strategies *builtin, parley_error *err) {
    char db_url[1024];
    parley_status st =
        parley_config_database_url(cfg, db_url, sizeof db_url)
            ? PARLEY_OK
            : parley_error_set(err, PARLEY_E_INVALID, "invalid_config", "--database: too long");
    mkdir(cfg->data_dir, 0700);
    parley_repository *repo = NULL;
    parley_storage_options options = {.durable = true, .busy_timeout_ms = 5000};
    if (st == PARLEY_OK) {
        st = parley_storage_migrate(db_url, err);
    }
    if (st == PARLEY_OK) {
        st = parley_storage_open(db_url, &options, &repo, err);
    }
    if (st == PARLEY_OK) {
        st = parley_builtin_strategies_init(builtin, registry, repo, cfg, err);
    }
    if (repo != NULL) {
        repo->ops->close(repo);
    }
    return st;
}

/* The key of the links that reopen a conversation (core/resume_link.h),
 * when the e-mail channel is on and --link-secret is unset: kept in
 * <data-dir>/link.secret (0600), made at the first start, so links sent
 * before a restart still work. */
static parley_status resolve_link_secret(parley_config *cfg, parley_error *err) {
    if (cfg->smtp_url == NULL || (cfg->link_secret != NULL && cfg->link_secret[0] != '\0')) {
        return PARLEY_OK;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/link.secret", cfg->data_dir);
    mkdir(cfg->data_dir, 0700);
    char hex[65] = "";
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, hex, 64);
        close(fd);
        hex[n > 0 ? n : 0] = '\0';
    } else if (errno == ENOENT) {
        unsigned char key[32];
        randombytes_buf(key, sizeof key);
        sodium_bin2hex(hex, sizeof hex, key, sizeof key);
        sodium_memzero(key, sizeof key);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 || write(fd, hex, 64) != 64 || fsync(fd) != 0) {
            hex[0] = '\0';
        }
        if (fd >= 0) {
            close(fd);
        }
    }
    if (strlen(hex) != 64) {
        return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                                "%s: cannot read or write the link secret (or set --link-secret)",
                                path);
    }
    free(cfg->link_secret);
    cfg->link_secret = strdup(hex);
    sodium_memzero(hex, sizeof hex);
    return cfg->link_secret != NULL ? PARLEY_OK
                                    : parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
}

/* Past the open-file limit libuv answers a new client with a silent EOF:
 * raise the limit, and keep --max-connections under it so that Parley's
 * own 503 comes first. */
static void fit_open_file_limit(parley_config *cfg) {
    parley_fd_limit fd;
    if (parley_fd_limit_fit(&fd) != 0) {
        parley_log_warn("open-file limit: unreadable; --max-connections %" PRId64 " unchecked",
                        cfg->max_connections);
        return;
    }
    if (fd.soft != fd.before) {
        parley_log_info("open-file limit raised from %" PRId64 " to %" PRId64, fd.before, fd.soft);
    }
    if (cfg->max_connections > fd.fit) {
        parley_log_warn("--max-connections %" PRId64 " does not fit the open-file limit (%" PRId64
                        " files, %d kept for the server): using %" PRId64
                        "; raise the hard limit (ulimit -Hn, LimitNOFILE=) for more",
                        cfg->max_connections, fd.soft, PARLEY_FD_RESERVE, fd.fit);
        cfg->max_connections = fd.fit;
    }
}

static int serve(int argc, char **argv) {
    parley_config cfg;
    parley_config_defaults(&cfg);
    parley_error err = {0};
    bool help = false;
    if (parley_config_parse(&cfg, argc, (const char *const *)argv, 1, env_lookup, NULL, &help,
                            &err) != PARLEY_OK) {
        fprintf(stderr, "parleyd: %s\n", err.message);
        parley_config_free(&cfg);
        return 2;
    }
    if (help) {
        print_usage(stdout);
        parley_config_free(&cfg);
        return 0;
    }
    /* from here on every message is a log line (stderr, --log-format);
     * option errors above stay plain text for the person who typed them */
    parley_log_level level = PARLEY_LOG_INFO;
    parley_log_format format = PARLEY_LOG_LOGFMT;
    (void)parley_log_parse_level(cfg.log_level, &level);
    (void)parley_log_parse_format(cfg.log_format, &format);
    parley_log_configure(level, format, 2);
    signal(SIGPIPE, SIG_IGN);
    fit_open_file_limit(&cfg);
    if (resolve_link_secret(&cfg, &err) != PARLEY_OK) {
        parley_log_error("%s", err.message);
        parley_config_free(&cfg);
        return 1;
    }
    parley_strategy_registry strategies = {0};
    parley_builtin_strategies builtin = {0};
    if (load_strategies(&cfg, &strategies, &builtin, &err) != PARLEY_OK) {
        parley_log_error("%s", err.message);
        parley_config_free(&cfg);
        return 1;
    }
    uv_loop_t loop;
    uv_loop_init(&loop);
    parley_server srv;
    parley_status st = parley_server_start(&srv, &loop, &cfg, &strategies, &err);
    if (st != PARLEY_OK) {
        parley_log_error("%s", err.message);
        uv_run(&loop, UV_RUN_NOWAIT);
        uv_loop_close(&loop);
        if (srv.bus != NULL) { /* closed by the failed start; its handles are closed now */
            srv.bus->ops->free(srv.bus);
        }
        parley_hub_free(&srv.hub);
        parley_chain_cache_free(&srv.chains);
        parley_origin_policy_free(&srv.origins);
        parley_trusted_proxies_free(&srv.trusted_proxies);
        parley_limits_free(&srv.limits);
        parley_builtin_strategies_free(&builtin);
        parley_config_free(&cfg);
        return 1;
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    parley_server_free(&srv);
    int rc = uv_loop_close(&loop);
    if (rc != 0) {
        parley_log_warn("event loop closed with handles open");
    }
    parley_log_info("stopped");
    parley_builtin_strategies_free(&builtin);
    parley_config_free(&cfg);
    return 0;
}

int main(int argc, char **argv) {
    if (!parley_crypto_init()) {
        fprintf(stderr, "parleyd: the system's random number generator is unavailable\n");
        return 1;
    }
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("parleyd %s\n", PARLEY_VERSION);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "admin") == 0) {
        if (argc >= 3 && strcmp(argv[2], "create") == 0) {
            return admin_create(argc, argv);
        }
        fprintf(stderr, "parleyd admin: unknown command (try: parleyd admin create --help)\n");
        return 2;
    }
    if (argc >= 2 && strcmp(argv[1], "migrate") == 0) {
        return migrate_command(argc, argv);
    }
    return serve(argc, argv);
}
