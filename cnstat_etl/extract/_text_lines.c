/* A page's glyphs into text lines and phrases: layout.text_lines in C (issue 13).

   A book has a few hundred thousand glyphs and the layout engine groups each into a line and a phrase;
   in Python that loop was a fifth of a worker's time. This file does the same steps on the page's glyph
   columns, with the same rules and thresholds (handed over by layout.py, where they are defined), in the
   same order of floating-point operations, so it gives the same lines: layout.py keeps the Python loop
   for where this was not built (no C compiler), and a test holds the two to the same lines on every
   fixture and fuzzer page. It needs no Python headers: it is loaded with ctypes, not imported.

   Steps, as layout.text_lines:
   - glyphs sorted by (bottom, x0), ties in page order; a glyph whose bottom is within BASELINE_TOLERANCE
     sizes of its group's first bottom joins that group (the first bottom not a raised mark's, where the
     group starts with such marks), as does one abutting (ABUT) a glyph of the group within that tolerance
     of its bottom;
   - each group sorted by x0 (ties in group order) and cut into phrases (`phrases`);
   - a group where a glyph is printed over another is parted at the widest step between its bottoms, when
     that step is over BASELINE_STEP of its smallest size, and each part read again; else it is one line
     marked overprinted. */

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { BLANK = 1, DIGIT = 2, RAISED = 4 };  /* flags of a glyph: its text is blank; it starts with a digit;
                                              it is a mark a font may box above the line (RAISED_MARKS) */

typedef struct {
    double baseline_tolerance, cell_gap, word_gap, digit_gap, overprint, baseline_step, bold_offset, abut;
} Rules;

typedef struct {  /* the page's glyph columns */
    const unsigned int *codes;
    const unsigned char *flags;
    const double *x0, *x1, *top, *bottom, *size;
} Glyphs;

typedef struct {  /* what is written, and how much of it */
    int *order;            /* the glyphs kept in phrases, phrase after phrase */
    unsigned int *text;    /* the phrases' texts one after another (a space where the gap is a space's) */
    int *phrase_glyphs;    /* each phrase's first and end position in `order` */
    int *phrase_text;      /* each phrase's first and end position in `text` */
    double *phrase_box;    /* each phrase's x0, x1 and largest size */
    int *line_phrases;     /* each line's first and end phrase */
    double *line_box;      /* each line's top, bottom and size */
    unsigned char *overprinted;
    int glyphs, chars, phrases, lines;
} Out;

typedef struct { double first, second; int index; } Key;

static int by_key(const void *a, const void *b) {
    const Key *p = a, *q = b;
    if (p->first != q->first) return p->first < q->first ? -1 : 1;
    if (p->second != q->second) return p->second < q->second ? -1 : 1;
    return p->index - q->index;
}

static void add_phrase(Out *out, const Glyphs *g, int first_glyph, int first_char, double x1, double size) {
    int p = out->phrases++;
    out->phrase_glyphs[2 * p] = first_glyph;
    out->phrase_glyphs[2 * p + 1] = out->glyphs;
    out->phrase_text[2 * p] = first_char;
    out->phrase_text[2 * p + 1] = out->chars;
    out->phrase_box[3 * p] = g->x0[out->order[first_glyph]];
    out->phrase_box[3 * p + 1] = x1;
    out->phrase_box[3 * p + 2] = size;
}

/* layout._phrases: the group's glyphs (left to right) as phrases; 0 where a glyph is printed over the one
   before it and the group is not known to be `overprinted` (nothing is then written). */
static int phrases(const Glyphs *g, const int *group, int count, int overprinted, const Rules *r, Out *out) {
    Out saved = *out;
    int previous = -1, run_glyph = out->glyphs, run_char = out->chars;
    double size_most = 0, previous_x1 = 0;
    for (int i = 0; i < count; i++) {
        int c = group[i];
        double size = g->size[c];
        if (g->flags[c] & BLANK) continue;  /* padding spaces: the gap they leave decides */
        if (previous >= 0) {
            double gap = g->x0[c] - previous_x1;
            if (gap < 0 && g->codes[c] == g->codes[previous]
                    && fabs(g->x0[c] - g->x0[previous]) < r->bold_offset * (g->x1[previous] - g->x0[previous]))
                continue;  /* the same character drawn again a hair to the side: bold */
            if (gap < -r->overprint * size && !overprinted) {
                *out = saved;
                return 0;
            }
            if (gap > r->cell_gap * size
                    || (gap > r->digit_gap * size && (g->flags[c] & DIGIT) && (g->flags[previous] & DIGIT))) {
                add_phrase(out, g, run_glyph, run_char, previous_x1, size_most);
                run_glyph = out->glyphs, run_char = out->chars, size_most = 0;
            } else if (gap > r->word_gap * size) {
                out->text[out->chars++] = ' ';
            }
        }
        out->order[out->glyphs++] = c;
        out->text[out->chars++] = g->codes[c];
        size_most = size > size_most ? size : size_most;
        previous = c, previous_x1 = g->x1[c];
    }
    if (out->glyphs > run_glyph) add_phrase(out, g, run_glyph, run_char, previous_x1, size_most);
    return 1;
}

static void add_line(const Glyphs *g, const int *group, int count, int first_phrase, int overprinted, Out *out) {
    double top = g->top[group[0]], bottom = g->bottom[group[0]], size = g->size[group[0]];
    for (int i = 1; i < count; i++) {
        int c = group[i];
        if (g->top[c] < top) top = g->top[c];
        if (g->bottom[c] > bottom) bottom = g->bottom[c];
        if (g->size[c] > size) size = g->size[c];
    }
    int l = out->lines++;
    out->line_phrases[2 * l] = first_phrase;
    out->line_phrases[2 * l + 1] = out->phrases;
    out->line_box[3 * l] = top, out->line_box[3 * l + 1] = bottom, out->line_box[3 * l + 2] = size;
    out->overprinted[l] = (unsigned char)overprinted;
}

/* layout._lines_of: a group (sorted by x0) as its lines. `scratch` holds at least `count` ints and doubles. */
static int lines_of(const Glyphs *g, int *group, int count, const Rules *r, Out *out, double *scratch) {
    int first_phrase = out->phrases;
    if (phrases(g, group, count, 0, r, out)) {
        if (out->phrases > first_phrase) add_line(g, group, count, first_phrase, 0, out);
        return 1;
    }
    double least = g->size[group[0]];
    for (int i = 0; i < count; i++) {
        scratch[i] = g->bottom[group[i]];
        if (g->size[group[i]] < least) least = g->size[group[i]];
    }
    Key *bottoms = malloc(sizeof(Key) * count);
    if (!bottoms) return 0;
    for (int i = 0; i < count; i++) bottoms[i] = (Key){scratch[i], 0, 0};
    qsort(bottoms, count, sizeof(Key), by_key);
    double step = 0, cut = 0, last = bottoms[0].first;
    int distinct = 1;
    for (int i = 1; i < count; i++) {
        double b = bottoms[i].first;
        if (b == last) continue;
        /* Python's max over (b - a, b) pairs: the widest step, the lowest of equal ones */
        if (distinct == 1 || b - last > step || (b - last == step && b > cut)) step = b - last, cut = b;
        last = b, distinct++;
    }
    free(bottoms);
    if (distinct > 1 && step > r->baseline_step * least) {
        int *parts = malloc(sizeof(int) * count);
        if (!parts) return 0;
        int above = 0;
        for (int i = 0; i < count; i++) if (g->bottom[group[i]] < cut) parts[above++] = group[i];
        int below = above;
        for (int i = 0; i < count; i++) if (g->bottom[group[i]] >= cut) parts[below++] = group[i];
        memcpy(group, parts, sizeof(int) * count);
        free(parts);
        int done = lines_of(g, group, above, r, out, scratch) && lines_of(g, group + above, count - above, r, out,
                                                                            scratch);
        return done;
    }
    phrases(g, group, count, 1, r, out);
    add_line(g, group, count, first_phrase, 1, out);
    return 1;
}

/* layout._chained: glyph keys[end] abuts one of keys[start..end) on about its baseline. */
static int chained(const Glyphs *g, const Key *keys, int start, int end, const Rules *r) {
    int c = keys[end].index;
    double size = g->size[c];
    for (int i = start; i < end; i++) {
        int o = keys[i].index;
        if (fabs(g->bottom[o] - g->bottom[c]) <= r->baseline_tolerance * size
                && (fabs(g->x1[o] - g->x0[c]) <= r->abut * size || fabs(g->x1[c] - g->x0[o]) <= r->abut * size))
            return 1;
    }
    return 0;
}

/* Every glyph of the page into lines of phrases (see the top of this file), written to the out arrays:
   each holds as many items as there are glyphs (`text` twice as many). Returns the number of lines, the
   number of phrases in *phrase_count, and -1 when memory ran out. */
int text_lines(int count, const unsigned int *codes, const unsigned char *flags, const double *x0,
               const double *x1, const double *top, const double *bottom, const double *size, const double *rules,
               int *order, unsigned int *text, int *phrase_glyphs, int *phrase_text, double *phrase_box,
               int *line_phrases, double *line_box, unsigned char *overprinted, int *phrase_count) {
    Glyphs g = {codes, flags, x0, x1, top, bottom, size};
    Rules r = {rules[0], rules[1], rules[2], rules[3], rules[4], rules[5], rules[6], rules[7]};
    Out out = {order, text, phrase_glyphs, phrase_text, phrase_box, line_phrases, line_box, overprinted, 0, 0, 0, 0};
    Key *keys = malloc(sizeof(Key) * (count ? count : 1));
    int *group = malloc(sizeof(int) * (count ? count : 1));
    double *scratch = malloc(sizeof(double) * (count ? count : 1));
    int done = keys && group && scratch;
    if (done) {
        for (int i = 0; i < count; i++) keys[i] = (Key){bottom[i], x0[i], i};
        qsort(keys, count, sizeof(Key), by_key);
        for (int start = 0, end; done && start < count; start = end) {
            double baseline = keys[start].first;
            int raised = flags[keys[start].index] & RAISED;
            for (end = start + 1; end < count && (fabs(baseline - keys[end].first) <= r.baseline_tolerance
                                                  * size[keys[end].index] || chained(&g, keys, start, end, &r)); end++)
                if (raised && !(flags[keys[end].index] & RAISED)) baseline = keys[end].first, raised = 0;
            /* the group by x0, ties in their (bottom, x0, page) order */
            for (int i = start; i < end; i++) keys[i] = (Key){x0[keys[i].index], (double)(i - start), keys[i].index};
            qsort(keys + start, end - start, sizeof(Key), by_key);
            for (int i = start; i < end; i++) group[i - start] = keys[i].index;
            done = lines_of(&g, group, end - start, &r, &out, scratch);
        }
    }
    free(keys), free(group), free(scratch);
    *phrase_count = out.phrases;
    return done ? out.lines : -1;
}
