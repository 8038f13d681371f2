/* The PDFium reader's loops in C (issue 13): its per-character questions, and its walk over a page's
   paths for the rules (the second half of this file).

   A book has a few hundred thousand printed characters and PDFium is asked three or four things about
   each; through ctypes each question costs about a microsecond of Python, here a few nanoseconds. The
   functions are PDFium's own, handed over as addresses by pdfium.py from the library pypdfium2 loaded,
   so this file needs neither PDFium's nor Python's headers, and pdfium.py asks the same questions through
   ctypes when this library was not built (no C compiler). It is loaded with ctypes, not imported. */

typedef struct { float left, top, right, bottom; } Box;                  /* PDFium's FS_RECTF */
typedef struct { float a, b, c, d, e, f; } Matrix;                       /* PDFium's FS_MATRIX */

typedef int (*LooseCharBox)(void *text_page, int index, Box *box);       /* FPDFText_GetLooseCharBox */
typedef int (*CharOrigin)(void *text_page, int index, double *x, double *y);  /* FPDFText_GetCharOrigin */
typedef void *(*TextObject)(void *text_page, int index);                 /* FPDFText_GetTextObject */
typedef double (*FontSize)(void *text_page, int index);                  /* FPDFText_GetFontSize */
typedef int (*CharMatrix)(void *text_page, int index, Matrix *matrix);   /* FPDFText_GetMatrix */
typedef int (*UnicodeMapError)(void *text_page, int index);              /* FPDFText_HasUnicodeMapError */
typedef void *(*ClipPath)(void *page_object);                            /* FPDFPageObj_GetClipPath */
typedef int (*CountClipPaths)(void *clip_path);                          /* FPDFClipPath_CountPaths */

/* For each of the `count` characters `indexes`: its loose box, its origin (x, y: the pen's place on the
   baseline), its font size, the c and d of its matrix, and its text object's clip path (0: none, or one of
   no path). A text object's characters share their size, matrix and clip, so they are asked at the first
   of each run of one text object's characters (every time for a character of no text object). */
void ask_chars_and_origins(void *text_page, const int *indexes, int count, LooseCharBox loose_char_box,
                           CharOrigin char_origin, TextObject text_object, FontSize font_size,
                           CharMatrix char_matrix, ClipPath clip_path, CountClipPaths count_clip_paths,
                           Box *boxes, double *origins, double *sizes, float *matrix_cd, void **clips) {
    Matrix matrix = {0, 0, 0, 0, 0, 0};
    void *run = 0, *clip = 0;
    double size = 0;
    for (int i = 0; i < count; i++) {
        int index = indexes[i];
        loose_char_box(text_page, index, &boxes[i]);
        char_origin(text_page, index, &origins[2 * i], &origins[2 * i + 1]);
        void *object = text_object(text_page, index);
        if (i == 0 || object == 0 || object != run) {
            char_matrix(text_page, index, &matrix);
            size = font_size(text_page, index);
            clip = object ? clip_path(object) : 0;
            if (clip && count_clip_paths(clip) <= 0)
                clip = 0;
            run = object;
        }
        sizes[i] = size;
        matrix_cd[2 * i] = matrix.c;
        matrix_cd[2 * i + 1] = matrix.d;
        clips[i] = clip;
    }
}

/* 1 for each of the `count` characters `indexes` whose font maps its code to no Unicode text, else 0. */
void ask_unmapped(void *text_page, const int *indexes, int count, UnicodeMapError unicode_map_error,
                  unsigned char *unmapped) {
    for (int i = 0; i < count; i++)
        unmapped[i] = unicode_map_error(text_page, indexes[i]) != 0;
}

/* ---------------------------------------------------------------------------------- a page's rules

   pdfium.py's walk over a page's objects, in C: every path object's straight level or upright pieces
   (closing pieces included, inside forms too) as rule segments, in pdfplumber's `edges` conventions.
   The matrices are composed and applied in doubles in the same order as pdfium.py's Python walk, which
   runs where this file was not built; a test holds the two to the same rules on every PDF fixture. */

typedef int (*CountObjects)(void *parent);
typedef void *(*GetObject)(void *parent, int index);
typedef int (*ObjectType)(void *object);
typedef int (*ObjectMatrix)(void *object, Matrix *matrix);
typedef int (*CountSegments)(void *path);
typedef void *(*PathSegment)(void *path, int index);
typedef int (*SegmentPoint)(void *segment, float *x, float *y);
typedef int (*SegmentType)(void *segment);
typedef int (*SegmentCloses)(void *segment);

typedef struct {  /* PDFium's functions, handed over by address, and its constants */
    CountObjects count_page_objects, count_form_objects;
    GetObject page_object, form_object;
    ObjectType object_type;
    ObjectMatrix object_matrix;
    CountSegments count_segments;
    PathSegment path_segment;
    SegmentPoint segment_point;
    SegmentType segment_type;
    SegmentCloses segment_closes;
    int path, image, form, move_to, line_to;
} Pdfium;

typedef struct {
    double height, flat;
    double *rules;          /* x0, x1, top, bottom of each rule */
    unsigned char *upright; /* 0 for a level rule, 1 for an upright one */
    int capacity, count;
} Rules;

static void compose(const double inner[6], const double outer[6], double out[6]) {
    double a = inner[0], b = inner[1], c = inner[2], d = inner[3], e = inner[4], f = inner[5];
    out[0] = a * outer[0] + b * outer[2];
    out[1] = a * outer[1] + b * outer[3];
    out[2] = c * outer[0] + d * outer[2];
    out[3] = c * outer[1] + d * outer[3];
    out[4] = e * outer[0] + f * outer[2] + outer[4];
    out[5] = e * outer[1] + f * outer[3] + outer[5];
}

static void add_rule(const double a[2], const double b[2], Rules *rules) {
    double x0 = b[0] < a[0] ? b[0] : a[0], x1 = b[0] > a[0] ? b[0] : a[0];
    double top = rules->height - (b[1] > a[1] ? b[1] : a[1]), bottom = rules->height - (b[1] < a[1] ? b[1] : a[1]);
    int upright;
    if (bottom - top <= rules->flat && x1 - x0 > rules->flat) upright = 0;
    else if (x1 - x0 <= rules->flat && bottom - top > rules->flat) upright = 1;
    else return;
    if (rules->count < rules->capacity) {
        double *rule = rules->rules + 4 * rules->count;
        rule[0] = x0, rule[1] = x1, rule[2] = top, rule[3] = bottom;
        rules->upright[rules->count] = (unsigned char)upright;
    }
    rules->count++;  /* counted beyond the capacity too: the caller asks again with room for all */
}

static void path_rules(const Pdfium *p, void *path, const double m[6], Rules *rules) {
    double start[2], current[2], point[2];
    int started = 0, going = 0;
    int count = p->count_segments(path);
    for (int i = 0; i < count; i++) {
        void *segment = p->path_segment(path, i);
        float x = 0, y = 0;
        p->segment_point(segment, &x, &y);
        point[0] = m[0] * x + m[2] * y + m[4];
        point[1] = m[1] * x + m[3] * y + m[5];
        int kind = p->segment_type(segment);
        if (kind == p->move_to) start[0] = point[0], start[1] = point[1], started = 1;
        else if (kind == p->line_to && going) add_rule(current, point, rules);
        if (p->segment_closes(segment) && started) add_rule(point, start, rules);
        current[0] = point[0], current[1] = point[1], going = 1;
    }
}

static int walk(const Pdfium *p, void *parent, int in_form, const double outer[6], Rules *rules) {
    int has_images = 0;
    int count = in_form ? p->count_form_objects(parent) : p->count_page_objects(parent);
    for (int i = 0; i < count; i++) {
        void *object = in_form ? p->form_object(parent, i) : p->page_object(parent, i);
        int kind = p->object_type(object);
        if (kind == p->path || kind == p->form) {
            Matrix matrix = {0, 0, 0, 0, 0, 0};
            p->object_matrix(object, &matrix);
            double inner[6] = {matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f}, m[6];
            compose(inner, outer, m);
            if (kind == p->path) path_rules(p, object, m, rules);
            else has_images |= walk(p, object, 1, m, rules);
        } else if (kind == p->image) {
            has_images = 1;
        }
    }
    return has_images;
}

/* The page's rules into `rules` (4 doubles each) and `upright`, up to `capacity` of them; returns how many
   there are (ask again with room for all when that is more), and in *has_images whether an image is
   drawn. `functions` are PDFium's, in Pdfium's order; `constants` its object and segment kinds; `display`
   the matrix onto the displayed page (pdfium.py's _display_matrix). */
int page_rules(void *page, void *const *functions, const int *constants, const double *display, double height,
               double flat, double *rules, unsigned char *upright, int capacity, int *has_images) {
    Pdfium p = {(CountObjects)functions[0], (CountObjects)functions[1], (GetObject)functions[2],
                (GetObject)functions[3], (ObjectType)functions[4], (ObjectMatrix)functions[5],
                (CountSegments)functions[6], (PathSegment)functions[7], (SegmentPoint)functions[8],
                (SegmentType)functions[9], (SegmentCloses)functions[10],
                constants[0], constants[1], constants[2], constants[3], constants[4]};
    Rules out = {height, flat, rules, upright, capacity, 0};
    *has_images = walk(&p, page, 0, display, &out);
    return out.count;
}
