/* Language detection's stopword fast path (translation_stopwords.h): it
 * decides en es fr de it pt lines that are clearly one language, falls
 * back (NULL) when a line is short, mixed or made of shared words, and the
 * profanity detector (parley_langdetect, six languages) gives the same
 * answers through it, with a known language it contradicts left to
 * exttextcat. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "strategies/translation_detect.h"
#include "strategies/translation_stopwords.h"

static const char *const SIX[] = {"en", "es", "fr", "de", "it", "pt"};
#define NSIX (sizeof SIX / sizeof SIX[0])

static const struct {
    const char *lang, *text;
} CLEAR[] = {
    {"en", "What the fuck, my order has not arrived yet and the tracking page shows nothing."},
    {"en", "Hello, I would like to know when my parcel will be delivered, please."},
    {"es", "Joder, mi pedido todavía no ha llegado y la página de seguimiento no muestra nada."},
    {"es", "Hola, quisiera saber cuándo llega mi paquete porque hace dos semanas que lo espero."},
    {"es", "Buenos días, ¿pueden decirme dónde está mi factura? Gracias."},
    {"fr", "Putain, ma commande n'est toujours pas arrivée et la page de suivi n'affiche rien."},
    {"fr", "Bonjour, je voudrais savoir quand mon colis sera livré, merci beaucoup."},
    {"de", "Scheiße, meine Bestellung ist immer noch nicht angekommen und die Seite zeigt nichts."},
    {"de", "Hallo, ich möchte wissen, wann mein Paket kommt. Bitte helfen Sie mir, danke."},
    {"it", "Cazzo, il mio ordine non è ancora arrivato e la pagina di tracciamento non mostra."},
    {"it", "Ciao, vorrei sapere quando arriva il mio pacco, sono due settimane che aspetto."},
    {"pt", "Porra, a minha encomenda ainda não chegou e a página de rastreio não mostra nada."},
    {"pt", "Olá, gostaria de saber quando chega o meu pacote, já faz duas semanas. Obrigado."},
};

/* lines the fast path must not decide */
static const char *const AMBIGUOUS[] = {
    "",
    "ok",
    "ok merci",
    "Scunthorpe",
    "bitte",
    "de la que",                           /* shared words only */
    "Hola, thanks for the ayuda, gracias", /* mixed: es 2, en 3 */
    "la casa de papel 2024",
    "Merci, thank you, gracias, danke, grazie, obrigado",
    "https://example.com/order/12345",
};

static void test_clear_lines_decided(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof CLEAR / sizeof CLEAR[0]; i++) {
        const char *got = parley_stopwords_decide(CLEAR[i].text, strlen(CLEAR[i].text), SIX, NSIX);
        if (got == NULL || strcmp(got, CLEAR[i].lang) != 0) {
            fail_msg("%s: got %s for \"%s\"", CLEAR[i].lang, got != NULL ? got : "(none)",
                     CLEAR[i].text);
        }
    }
}

static void test_ambiguous_lines_fall_back(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof AMBIGUOUS / sizeof AMBIGUOUS[0]; i++) {
        const char *got = parley_stopwords_decide(AMBIGUOUS[i], strlen(AMBIGUOUS[i]), SIX, NSIX);
        if (got != NULL) {
            fail_msg("\"%s\" decided as %s", AMBIGUOUS[i], got);
        }
    }
}

static void test_only_the_callers_languages(void **state) {
    (void)state;
    /* a clear Spanish line among candidates without es: nothing decided */
    const char *const some[] = {"en", "fr"};
    assert_null(parley_stopwords_decide(CLEAR[2].text, strlen(CLEAR[2].text), some, 2));
    /* the pointer returned is the caller's */
    const char *got = parley_stopwords_decide(CLEAR[2].text, strlen(CLEAR[2].text), SIX, NSIX);
    assert_ptr_equal(got, SIX[1]);
    /* only len bytes are read */
    assert_null(parley_stopwords_decide(CLEAR[2].text, 5, SIX, NSIX));
    assert_true(parley_stopwords_covers("pt"));
    assert_false(parley_stopwords_covers("ca"));
    assert_false(parley_stopwords_covers(NULL));
}

static void test_through_the_detector(void **state) {
    (void)state;
    parley_langdetect *d = parley_langdetect_create_for(NULL, SIX, NSIX);
    assert_non_null(d);
    for (size_t i = 0; i < sizeof CLEAR / sizeof CLEAR[0]; i++) {
        bool detected = false;
        const char *got = parley_langdetect_detect(d, CLEAR[i].text, 0, NULL, &detected);
        assert_non_null(got);
        assert_string_equal(got, CLEAR[i].lang);
        assert_true(detected);
        /* the known language agreeing: decided */
        assert_string_equal(parley_langdetect_decided(d, CLEAR[i].text, CLEAR[i].lang),
                            CLEAR[i].lang);
    }
    /* an ambiguous line still goes to exttextcat, which decides a clear
     * one the function words could not (no stopword in it) */
    assert_null(
        parley_stopwords_decide("Bestellung Sendungsverfolgung Lieferung Rechnung", 48, SIX, NSIX));
    assert_string_equal(
        parley_langdetect_decided(d, "Bestellung Sendungsverfolgung Lieferung Rechnung", NULL),
        "de");
    parley_langdetect_free(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clear_lines_decided),
        cmocka_unit_test(test_ambiguous_lines_fall_back),
        cmocka_unit_test(test_only_the_callers_languages),
        cmocka_unit_test(test_through_the_detector),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
