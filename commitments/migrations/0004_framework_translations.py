"""The reference data in the five languages besides English (HCSS edits them in the admin).

Rows are found by what does not change with the language (a code, a number, the English name);
a row an operator removed is skipped. An empty text stays empty: it reads as English.
"""

from django.db import migrations

TRANSLATIONS = {
    "FrameworkItem": {
        "ar": {
            "1/accountability-to-affected-people": {
                "explanation": "",
                "text": "الاستعداد للمشاركة "
                "في الإجراءات التي "
                "تحسّن تحديدًا "
                "المساءلة أمام "
                "السكان المتضررين، "
                "وفقًا لالتزامات "
                "اللجنة الدائمة "
                "المشتركة بين "
                "الوكالات بشأن "
                "المساءلة أمام "
                "السكان المتضررين "
                "والإطار التشغيلي "
                "المتصل بها.",
                "title": "المساءلة أمام السكان المتضررين",
            },
            "1/active-participation": {
                "explanation": "",
                "text": "المشاركة الفعالة في المجموعة "
                "والالتزام بالانخراط المستمر في "
                "العمل الجماعي للمجموعة.",
                "title": "المشاركة الفعالة",
            },
            "1/advocacy": {
                "explanation": "",
                "text": "القيام بأنشطة الدعوة، ونشر الدعوة ورسائلها "
                "لدى المجتمعات المتضررة، والحكومة المضيفة، "
                "والجهات المانحة، والفريق القطري للعمل "
                "الإنساني، والوكالات الرائدة للمجموعات، "
                "ووسائط الإعلام، وغيرها من الجهات المستهدفة.",
                "title": "الدعوة",
            },
            "1/complementarity": {
                "explanation": "",
                "text": "يشكّل تنوع مجتمع العمل الإنساني ميزة "
                "إذا بنينا على مزايانا النسبية وأكمل "
                "بعضنا إسهامات بعض. والقدرات المحلية "
                "من أهم المزايا التي ينبغي تعزيزها "
                "والبناء عليها. وينبغي للمنظمات "
                "الإنسانية أن تسعى، كلما أمكن، إلى "
                "جعلها جزءًا لا يتجزأ من الاستجابة "
                "لحالات الطوارئ. ويجب التغلب على "
                "الحواجز اللغوية والثقافية.",
                "title": "التكامل",
            },
            "1/cross-cutting-issues": {
                "explanation": "",
                "text": "الالتزام بتعميم مراعاة المسائل "
                "البرنامجية الشاملة الرئيسية (بما "
                "في ذلك السن والمساواة بين "
                "الجنسين والبيئة وفيروس نقص "
                "المناعة البشرية/الإيدز).",
                "title": "المسائل الشاملة",
            },
            "1/duties-of-membership": {
                "explanation": "",
                "text": "فهم مُثبَت للواجبات والمسؤوليات "
                "المرتبطة بعضوية المجموعة، على "
                "النحو المحدد في اختصاصات اللجنة "
                "الدائمة المشتركة بين الوكالات "
                "ومذكراتها التوجيهية، وفي أي "
                "توجيهات خاصة بالمجموعة، وفي "
                "اختصاصات المجموعة القطرية، حيثما "
                "وُجدت.",
                "title": "فهم واجبات العضوية",
            },
            "1/equality": {
                "explanation": "يظل بإمكاننا أن نختلف، ولكن ينبغي أن يكون ذلك على نحو بنّاء.",
                "text": "تتطلب المساواة الاحترام المتبادل بين أعضاء "
                "الشراكة بصرف النظر عن حجمهم وقوتهم. ويجب على "
                "المشاركين أن يحترموا ولايات بعضهم بعضًا "
                "والتزاماتهم واستقلاليتهم، وأن يعترفوا بما "
                "يواجهه كل منهم من قيود وما عليه من التزامات. "
                "ولا يجوز أن يحول الاحترام المتبادل دون إبداء "
                "المنظمات اختلافها في الرأي على نحو بنّاء.",
                "title": "المساواة",
            },
            "1/interpretation": {
                "explanation": "",
                "text": "ضمان أن توفر المجموعة الترجمة الشفوية "
                "(بلغة مناسبة) حتى يتمكن جميع الشركاء "
                "في المجموعة من المشاركة، بما في ذلك "
                "المنظمات المحلية (والسلطات الوطنية "
                "والمحلية حسب الاقتضاء).",
                "title": "الترجمة الشفوية بلغة مناسبة",
            },
            "1/principles-and-standards": {
                "explanation": "",
                "text": "الالتزام بالمبادئ الإنسانية، "
                "ومبادئ الشراكة، والتوجيهات "
                "الخاصة بالمجموعة، ومعايير "
                "البرامج المعترف بها دوليًا، "
                "بما في ذلك نشرة الأمين العام "
                "بشأن التدابير الخاصة للحماية "
                "من الاستغلال الجنسي "
                "والانتهاك الجنسي.",
                "title": "المبادئ الإنسانية ومبادئ "
                "الشراكة والمعايير والحماية "
                "من الاستغلال والانتهاك "
                "الجنسيين",
            },
            "1/relationships": {
                "explanation": "",
                "text": "الحفاظ على علاقات فعالة داخل المجموعة، "
                "ومع المجتمعات المحلية وسائر أصحاب "
                "المصلحة.",
                "title": "العلاقات",
            },
            "1/responsibility": {
                "explanation": "",
                "text": "على المنظمات الإنسانية التزام أخلاقي "
                "تجاه بعضها بعضًا بأن تنجز مهامها "
                "بمسؤولية ونزاهة وبطريقة ملائمة "
                "ومناسبة. ويجب عليها أن تحرص على ألا "
                "تلتزم بأنشطة إلا عندما تتوافر لديها "
                "الوسائل والكفاءات والمهارات والقدرات "
                "اللازمة للوفاء بالتزاماتها. كما يجب أن "
                "يكون المنع الحازم والقوي للانتهاكات "
                "التي يرتكبها العاملون في المجال "
                "الإنساني جهدًا متواصلًا.",
                "title": "المسؤولية",
            },
            "1/result-oriented-approach": {
                "explanation": "",
                "text": "يجب أن يكون العمل الإنساني "
                "الفعال قائمًا على الواقع "
                "وموجهًا نحو العمل. ويتطلب "
                "ذلك تنسيقًا موجهًا نحو "
                "النتائج يستند إلى إمكانات "
                "فعلية وقدرات تشغيلية ملموسة.",
                "title": "النهج الموجه نحو النتائج",
            },
            "1/results": {
                "explanation": "",
                "text": "المساءلة المتبادلة عن تحقيق النتائج.",
                "title": "النتائج",
            },
            "1/rights": {
                "explanation": "",
                "text": "حماية حقوق السكان المتضررين.",
                "title": "الحقوق",
            },
            "1/senior-staff": {
                "explanation": "",
                "text": "التزام أحد كبار الموظفين المعنيين "
                "بالانخراط المستمر في المجموعة من أجل "
                "إنجاز مهمتها.",
                "title": "انخراط كبار الموظفين",
            },
            "1/shared-resources": {
                "explanation": "",
                "text": "الالتزام بالعمل على نحو تعاوني مع "
                "سائر شركاء المجموعة لضمان الاستخدام "
                "الأمثل والاستراتيجي للموارد المتاحة، "
                "وتبادل المعلومات عن موارد المنظمة.",
                "title": "التعاون وتقاسم الموارد",
            },
            "1/strategic-response-plan": {
                "explanation": "",
                "text": "القدرة على الإسهام في خطة "
                "الاستجابة الاستراتيجية "
                "للمجموعة وأنشطتها والاستعداد "
                "لذلك، على أن تشمل التنسيق "
                "المشترك بين المجموعات.",
                "title": "الإسهام في خطة الاستجابة الاستراتيجية",
            },
            "1/sub-national-leadership": {
                "explanation": "",
                "text": "الاستعداد لتولي مسؤوليات "
                "قيادية في المجموعات دون "
                "الوطنية أو الأفرقة العاملة "
                "حسب الاقتضاء، رهنًا بالقدرات "
                "والولاية.",
                "title": "القيادة في المجموعات دون الوطنية أو الأفرقة العاملة",
            },
            "1/transparency": {
                "explanation": "",
                "text": "تتحقق الشفافية من خلال الحوار (على قدم "
                "المساواة)، مع التركيز على التشاور المبكر "
                "وتبادل المعلومات في وقت مبكر. ويزيد "
                "التواصل والشفافية، بما في ذلك الشفافية "
                "المالية، من مستوى الثقة بين المنظمات.",
                "title": "الشفافية",
            },
        },
        "es": {
            "1/accountability-to-affected-people": {
                "explanation": "",
                "text": "Disposición a "
                "participar en "
                "acciones que "
                "mejoren "
                "específicamente la "
                "rendición de "
                "cuentas a las "
                "personas afectadas, "
                "de conformidad con "
                "los Compromisos del "
                "IASC sobre la "
                "Rendición de "
                "Cuentas a las "
                "Poblaciones "
                "Afectadas y el "
                "Marco Operacional "
                "correspondiente.",
                "title": "Rendición de cuentas a las personas afectadas",
            },
            "1/active-participation": {
                "explanation": "",
                "text": "Participación activa en el grupo "
                "temático y compromiso de "
                "implicarse de manera constante "
                "en su trabajo colectivo.",
                "title": "Participación activa",
            },
            "1/advocacy": {
                "explanation": "",
                "text": "Realizar actividades de promoción y difundir "
                "la labor y los mensajes de promoción entre "
                "las comunidades afectadas, el Gobierno "
                "anfitrión, los donantes, el EHP, los "
                "organismos líderes de los grupos temáticos, "
                "los medios de comunicación y otros públicos.",
                "title": "Promoción",
            },
            "1/complementarity": {
                "explanation": "",
                "text": "La diversidad de la comunidad "
                "humanitaria es un activo si "
                "aprovechamos nuestras ventajas "
                "comparativas y complementamos las "
                "contribuciones de los demás. La "
                "capacidad local es uno de los "
                "principales activos que deben "
                "reforzarse y sobre los que hay que "
                "construir. Siempre que sea posible, "
                "las organizaciones humanitarias deben "
                "esforzarse por convertirla en parte "
                "integrante de la respuesta de "
                "emergencia. Deben superarse las "
                "barreras lingüísticas y culturales.",
                "title": "Complementariedad",
            },
            "1/cross-cutting-issues": {
                "explanation": "",
                "text": "Compromiso de integrar las "
                "principales cuestiones "
                "programáticas transversales "
                "(entre ellas, la edad, el "
                "género, el medio ambiente y el "
                "VIH/SIDA).",
                "title": "Cuestiones transversales",
            },
            "1/duties-of-membership": {
                "explanation": "",
                "text": "Una comprensión demostrada de "
                "los deberes y responsabilidades "
                "asociados a la pertenencia al "
                "grupo temático, tal como se "
                "definen en los TdR y las notas "
                "de orientación del IASC, en las "
                "orientaciones específicas del "
                "grupo temático y en los TdR del "
                "grupo temático de país, cuando "
                "existan.",
                "title": "Comprensión de los deberes de los miembros",
            },
            "1/equality": {
                "explanation": "Podemos seguir discrepando, pero debe ser de manera constructiva.",
                "text": "La igualdad requiere el respeto mutuo entre "
                "los miembros de la asociación, "
                "independientemente de su tamaño y poder. Los "
                "participantes deben respetar los mandatos, "
                "las obligaciones y la independencia de los "
                "demás, y reconocer sus limitaciones y "
                "compromisos. El respeto mutuo no debe "
                "impedir que las organizaciones expresen su "
                "desacuerdo de manera constructiva.",
                "title": "Igualdad",
            },
            "1/interpretation": {
                "explanation": "",
                "text": "Velar por que el grupo temático "
                "ofrezca interpretación (en un idioma "
                "adecuado) para que todos los socios "
                "del grupo temático puedan participar, "
                "incluidas las organizaciones locales "
                "(y las autoridades nacionales y "
                "locales, cuando proceda).",
                "title": "Interpretación en un idioma adecuado",
            },
            "1/principles-and-standards": {
                "explanation": "",
                "text": "Compromiso con los "
                "principios humanitarios, los "
                "Principios de Asociación, "
                "las orientaciones "
                "específicas del grupo "
                "temático y las normas "
                "programáticas reconocidas "
                "internacionalmente, incluido "
                "el Boletín del Secretario "
                "General sobre medidas "
                "especiales de protección "
                "contra la explotación y el "
                "abuso sexuales.",
                "title": "Principios humanitarios, Principios de Asociación, normas y PEAS",
            },
            "1/relationships": {
                "explanation": "",
                "text": "Mantener relaciones eficaces dentro del "
                "grupo temático y con las comunidades y "
                "otras partes interesadas.",
                "title": "Relaciones",
            },
            "1/responsibility": {
                "explanation": "",
                "text": "Las organizaciones humanitarias tienen "
                "entre sí la obligación ética de "
                "cumplir sus tareas de forma "
                "responsable, con integridad y de "
                "manera pertinente y adecuada. Deben "
                "asegurarse de comprometerse con "
                "actividades solo cuando dispongan de "
                "los medios, las competencias, las "
                "aptitudes y la capacidad para cumplir "
                "sus compromisos. La prevención "
                "decidida y firme de los abusos "
                "cometidos por el personal humanitario "
                "también debe ser un esfuerzo "
                "constante.",
                "title": "Responsabilidad",
            },
            "1/result-oriented-approach": {
                "explanation": "",
                "text": "Una acción humanitaria "
                "eficaz debe basarse en la "
                "realidad y estar orientada a "
                "la acción. Esto requiere una "
                "coordinación orientada a "
                "resultados, basada en "
                "capacidades efectivas y en "
                "capacidades operacionales "
                "concretas.",
                "title": "Enfoque orientado a resultados",
            },
            "1/results": {
                "explanation": "",
                "text": "Rendición de cuentas mutua en la obtención de resultados.",
                "title": "Resultados",
            },
            "1/rights": {
                "explanation": "",
                "text": "Proteger los derechos de las personas afectadas.",
                "title": "Derechos",
            },
            "1/senior-staff": {
                "explanation": "",
                "text": "Compromiso de un miembro pertinente del "
                "personal directivo de implicarse de "
                "manera constante en el grupo temático "
                "para que este cumpla su misión.",
                "title": "Implicación del personal directivo",
            },
            "1/shared-resources": {
                "explanation": "",
                "text": "Compromiso de trabajar en "
                "cooperación con los demás socios del "
                "grupo temático para garantizar un "
                "uso óptimo y estratégico de los "
                "recursos disponibles, y de compartir "
                "información sobre los recursos de la "
                "organización.",
                "title": "Cooperación y recursos compartidos",
            },
            "1/strategic-response-plan": {
                "explanation": "",
                "text": "Capacidad y disposición para "
                "contribuir al plan "
                "estratégico de respuesta y a "
                "las actividades del grupo "
                "temático, que deben incluir "
                "la coordinación intergrupal.",
                "title": "Contribución al plan estratégico de respuesta",
            },
            "1/sub-national-leadership": {
                "explanation": "",
                "text": "Disposición a asumir "
                "responsabilidades de "
                "liderazgo en grupos "
                "subnacionales o de trabajo "
                "cuando sea necesario, en "
                "función de la capacidad y el "
                "mandato.",
                "title": "Liderazgo en grupos subnacionales o de trabajo",
            },
            "1/transparency": {
                "explanation": "",
                "text": "La transparencia se logra mediante el "
                "diálogo (en pie de igualdad), con "
                "énfasis en las consultas tempranas y el "
                "intercambio temprano de información. La "
                "comunicación y la transparencia, "
                "incluida la transparencia financiera, "
                "aumentan el nivel de confianza entre las "
                "organizaciones.",
                "title": "Transparencia",
            },
        },
        "fr": {
            "1/accountability-to-affected-people": {
                "explanation": "",
                "text": "Disposition à "
                "participer à des "
                "actions visant "
                "spécifiquement à "
                "améliorer la "
                "redevabilité envers "
                "les populations "
                "affectées, "
                "conformément aux "
                "Engagements de "
                "l’IASC relatifs à "
                "la redevabilité "
                "envers les "
                "populations "
                "affectées et au "
                "Cadre opérationnel "
                "correspondant.",
                "title": "Redevabilité envers les populations affectées",
            },
            "1/active-participation": {
                "explanation": "",
                "text": "Participation active au cluster "
                "et engagement à prendre part de "
                "manière constante au travail "
                "collectif du cluster.",
                "title": "Participation active",
            },
            "1/advocacy": {
                "explanation": "",
                "text": "Mener des activités de plaidoyer et diffuser "
                "les messages de plaidoyer auprès des "
                "communautés affectées, du gouvernement hôte, "
                "des donateurs, de l’EHP, des agences chefs "
                "de file de cluster, des médias et d’autres "
                "publics.",
                "title": "Plaidoyer",
            },
            "1/complementarity": {
                "explanation": "",
                "text": "La diversité de la communauté "
                "humanitaire est un atout si nous "
                "tirons parti de nos avantages "
                "comparatifs et si nos contributions "
                "se complètent. Les capacités locales "
                "constituent l’un des principaux "
                "atouts à renforcer et sur lesquels "
                "s’appuyer. Dans la mesure du "
                "possible, les organisations "
                "humanitaires doivent s’efforcer d’en "
                "faire une partie intégrante de "
                "l’intervention d’urgence. Les "
                "barrières linguistiques et "
                "culturelles doivent être surmontées.",
                "title": "Complémentarité",
            },
            "1/cross-cutting-issues": {
                "explanation": "",
                "text": "Engagement à intégrer les "
                "principales questions "
                "programmatiques transversales "
                "(notamment l’âge, le genre, "
                "l’environnement et le VIH/sida).",
                "title": "Questions transversales",
            },
            "1/duties-of-membership": {
                "explanation": "",
                "text": "Compréhension avérée des "
                "obligations et responsabilités "
                "liées à la qualité de membre du "
                "cluster, telles que définies par "
                "les TdR et notes d’orientation "
                "de l’IASC, les éventuelles "
                "directives propres au cluster et "
                "les TdR du cluster national, le "
                "cas échéant.",
                "title": "Compréhension des obligations liées à la qualité de membre",
            },
            "1/equality": {
                "explanation": "Nous pouvons être en désaccord, mais de manière constructive.",
                "text": "L’égalité exige le respect mutuel entre les "
                "membres du partenariat, indépendamment de "
                "leur taille et de leur pouvoir. Les "
                "participants doivent respecter les mandats, "
                "les obligations et l’indépendance de chacun, "
                "et reconnaître les contraintes et les "
                "engagements des uns et des autres. Le "
                "respect mutuel ne doit pas empêcher les "
                "organisations d’exprimer des désaccords "
                "constructifs.",
                "title": "Égalité",
            },
            "1/interpretation": {
                "explanation": "",
                "text": "Veiller à ce que le cluster assure une "
                "interprétation (dans une langue "
                "appropriée) afin que tous les "
                "partenaires du cluster puissent "
                "participer, y compris les "
                "organisations locales (et, le cas "
                "échéant, les autorités nationales et "
                "locales).",
                "title": "Interprétation dans une langue appropriée",
            },
            "1/principles-and-standards": {
                "explanation": "",
                "text": "Engagement en faveur des "
                "principes humanitaires, des "
                "Principes de partenariat, "
                "des directives propres au "
                "cluster et des normes "
                "programmatiques reconnues au "
                "niveau international, y "
                "compris la circulaire du "
                "Secrétaire général relative "
                "aux dispositions spéciales "
                "visant à prévenir "
                "l’exploitation et les "
                "atteintes sexuelles.",
                "title": "Principes humanitaires, Principes de partenariat, normes et PEAS",
            },
            "1/relationships": {
                "explanation": "",
                "text": "Entretenir des relations efficaces au "
                "sein du cluster, ainsi qu’avec les "
                "communautés et les autres parties "
                "prenantes.",
                "title": "Relations",
            },
            "1/responsibility": {
                "explanation": "",
                "text": "Les organisations humanitaires ont, "
                "les unes envers les autres, "
                "l’obligation éthique d’accomplir leurs "
                "tâches de manière responsable, avec "
                "intégrité et de façon pertinente et "
                "appropriée. Elles doivent veiller à ne "
                "s’engager dans des activités que "
                "lorsqu’elles disposent des moyens, des "
                "compétences, des savoir-faire et des "
                "capacités nécessaires pour tenir leurs "
                "engagements. La prévention ferme et "
                "rigoureuse des abus commis par des "
                "humanitaires doit également faire "
                "l’objet d’un effort constant.",
                "title": "Responsabilité",
            },
            "1/result-oriented-approach": {
                "explanation": "",
                "text": "Une action humanitaire "
                "efficace doit être fondée "
                "sur la réalité et orientée "
                "vers l’action. Cela exige "
                "une coordination axée sur "
                "les résultats, reposant sur "
                "des compétences effectives "
                "et des capacités "
                "opérationnelles concrètes.",
                "title": "Approche axée sur les résultats",
            },
            "1/results": {
                "explanation": "",
                "text": "Redevabilité mutuelle pour l’obtention de résultats.",
                "title": "Résultats",
            },
            "1/rights": {
                "explanation": "",
                "text": "Protéger les droits des populations affectées.",
                "title": "Droits",
            },
            "1/senior-staff": {
                "explanation": "",
                "text": "Engagement d’un cadre supérieur "
                "compétent à participer de manière "
                "constante au cluster afin que celui-ci "
                "remplisse sa mission.",
                "title": "Engagement de cadres supérieurs",
            },
            "1/shared-resources": {
                "explanation": "",
                "text": "Engagement à travailler en "
                "coopération avec les autres "
                "partenaires du cluster afin "
                "d’assurer une utilisation optimale "
                "et stratégique des ressources "
                "disponibles, et à partager "
                "l’information sur les ressources de "
                "l’organisation.",
                "title": "Coopération et partage des ressources",
            },
            "1/strategic-response-plan": {
                "explanation": "",
                "text": "Capacité et volonté de "
                "contribuer au plan de réponse "
                "stratégique et aux activités "
                "du cluster, qui doivent "
                "inclure la coordination "
                "intercluster.",
                "title": "Contribution au plan de réponse stratégique",
            },
            "1/sub-national-leadership": {
                "explanation": "",
                "text": "Volonté d’assumer, selon les "
                "besoins, des responsabilités "
                "de direction au sein de "
                "groupes infranationaux ou de "
                "groupes de travail, en "
                "fonction des capacités et du "
                "mandat.",
                "title": "Direction de groupes infranationaux ou de groupes de travail",
            },
            "1/transparency": {
                "explanation": "",
                "text": "La transparence s’obtient par le "
                "dialogue (sur un pied d’égalité), en "
                "privilégiant la consultation et le "
                "partage d’informations en amont. La "
                "communication et la transparence, y "
                "compris la transparence financière, "
                "renforcent la confiance entre les "
                "organisations.",
                "title": "Transparence",
            },
        },
        "ru": {
            "1/accountability-to-affected-people": {
                "explanation": "",
                "text": "Готовность "
                "участвовать в "
                "мерах, направленных "
                "именно на повышение "
                "подотчётности перед "
                "затронутым "
                "населением, в "
                "соответствии с "
                "Обязательствами МПК "
                "по подотчётности "
                "перед затронутым "
                "населением и "
                "соответствующей "
                "оперативной "
                "основой.",
                "title": "Подотчётность перед затронутым населением",
            },
            "1/active-participation": {
                "explanation": "",
                "text": "Активное участие в работе "
                "кластера и приверженность "
                "последовательному участию в его "
                "коллективной деятельности.",
                "title": "Активное участие",
            },
            "1/advocacy": {
                "explanation": "",
                "text": "Проведение информационно-разъяснительной "
                "работы и распространение информационных "
                "материалов и ключевых сообщений среди "
                "затронутых общин, правительства принимающей "
                "страны, доноров, ГСГ, ведущих учреждений "
                "кластеров, средств массовой информации и "
                "других аудиторий.",
                "title": "Информационно-разъяснительная работа",
            },
            "1/complementarity": {
                "explanation": "",
                "text": "Многообразие гуманитарного сообщества "
                "является его достоинством, если мы "
                "опираемся на свои сравнительные "
                "преимущества и дополняем вклад друг "
                "друга. Местный потенциал — одно из "
                "главных достоинств, которое "
                "необходимо укреплять и на которое "
                "следует опираться. Везде, где это "
                "возможно, гуманитарные организации "
                "должны стремиться сделать его "
                "неотъемлемой частью реагирования на "
                "чрезвычайные ситуации. Необходимо "
                "преодолевать языковые и культурные "
                "барьеры.",
                "title": "Взаимодополняемость",
            },
            "1/cross-cutting-issues": {
                "explanation": "",
                "text": "Приверженность учёту ключевых "
                "программных сквозных вопросов "
                "(включая возраст, гендерную "
                "проблематику, окружающую среду и "
                "ВИЧ/СПИД) во всей деятельности.",
                "title": "Сквозные вопросы",
            },
            "1/duties-of-membership": {
                "explanation": "",
                "text": "Подтверждённое понимание "
                "обязанностей и ответственности, "
                "связанных с участием в кластере, "
                "в соответствии с кругом ведения "
                "и руководящими записками МПК, "
                "руководящими указаниями "
                "конкретного кластера и кругом "
                "ведения странового кластера, "
                "если таковой имеется.",
                "title": "Понимание обязанностей участника",
            },
            "1/equality": {
                "explanation": "Мы можем не соглашаться, но это должно быть конструктивно.",
                "text": "Равенство требует взаимного уважения между "
                "членами партнёрства независимо от их размера "
                "и влияния. Участники должны уважать мандаты, "
                "обязательства и независимость друг друга и "
                "признавать ограничения и обязательства друг "
                "друга. Взаимное уважение не должно "
                "препятствовать организациям выражать "
                "конструктивное несогласие.",
                "title": "Равенство",
            },
            "1/interpretation": {
                "explanation": "",
                "text": "Обеспечение кластером устного перевода "
                "(на соответствующий язык), чтобы все "
                "партнёры кластера, включая местные "
                "организации (а при необходимости — "
                "национальные и местные органы власти), "
                "могли участвовать в его работе.",
                "title": "Устный перевод на соответствующий язык",
            },
            "1/principles-and-standards": {
                "explanation": "",
                "text": "Приверженность гуманитарным "
                "принципам, Принципам "
                "партнёрства, руководящим "
                "указаниям конкретного "
                "кластера и международно "
                "признанным программным "
                "стандартам, включая "
                "бюллетень Генерального "
                "секретаря «Специальные меры "
                "по защите от сексуальной "
                "эксплуатации и сексуальных "
                "надругательств».",
                "title": "Гуманитарные принципы, Принципы партнёрства, стандарты и ЗСЭН",
            },
            "1/relationships": {
                "explanation": "",
                "text": "Поддержание эффективных взаимоотношений "
                "внутри кластера, а также с общинами и "
                "другими заинтересованными сторонами.",
                "title": "Взаимоотношения",
            },
            "1/responsibility": {
                "explanation": "",
                "text": "Гуманитарные организации несут друг "
                "перед другом этическое обязательство "
                "выполнять свои задачи ответственно, "
                "добросовестно, надлежащим и уместным "
                "образом. Они должны брать на себя "
                "обязательства по деятельности только "
                "тогда, когда располагают средствами, "
                "компетенциями, навыками и потенциалом "
                "для их выполнения. Постоянными должны "
                "быть и решительные, твёрдые усилия по "
                "предотвращению злоупотреблений со "
                "стороны гуманитарных работников.",
                "title": "Ответственность",
            },
            "1/result-oriented-approach": {
                "explanation": "",
                "text": "Эффективная гуманитарная "
                "деятельность должна "
                "основываться на реальности и "
                "быть ориентированной на "
                "действия. Для этого "
                "необходима ориентированная "
                "на результаты координация, "
                "основанная на реальных "
                "возможностях и конкретном "
                "оперативном потенциале.",
                "title": "Ориентированный на результаты подход",
            },
            "1/results": {
                "explanation": "",
                "text": "Взаимная подотчётность за достижение результатов.",
                "title": "Результаты",
            },
            "1/rights": {
                "explanation": "",
                "text": "Защита прав затронутого населения.",
                "title": "Права",
            },
            "1/senior-staff": {
                "explanation": "",
                "text": "Приверженность соответствующего старшего "
                "сотрудника последовательному участию в "
                "работе кластера для выполнения его "
                "задач.",
                "title": "Участие старших сотрудников",
            },
            "1/shared-resources": {
                "explanation": "",
                "text": "Приверженность сотрудничеству с "
                "другими партнёрами кластера в целях "
                "оптимального и стратегического "
                "использования имеющихся ресурсов и "
                "обмену информацией о ресурсах "
                "организаций.",
                "title": "Сотрудничество и совместные ресурсы",
            },
            "1/strategic-response-plan": {
                "explanation": "",
                "text": "Способность и готовность "
                "вносить вклад в "
                "стратегический план "
                "реагирования и деятельность "
                "кластера, которые должны "
                "включать межкластерную "
                "координацию.",
                "title": "Вклад в стратегический план реагирования",
            },
            "1/sub-national-leadership": {
                "explanation": "",
                "text": "Готовность при необходимости "
                "брать на себя руководящие "
                "функции на субнациональном "
                "уровне или в рабочих группах "
                "с учётом имеющегося "
                "потенциала и мандата.",
                "title": "Руководство на субнациональном уровне и в рабочих группах",
            },
            "1/transparency": {
                "explanation": "",
                "text": "Транспарентность достигается путём "
                "диалога (на равноправной основе) с "
                "упором на заблаговременные консультации "
                "и заблаговременный обмен информацией. "
                "Коммуникация и транспарентность, в том "
                "числе финансовая, повышают уровень "
                "доверия между организациями.",
                "title": "Транспарентность",
            },
        },
        "zh_hans": {
            "1/accountability-to-affected-people": {
                "explanation": "",
                "text": "随时准备根据机构间常设委员会《对受影响人口问责的承诺》及相关业务框架，参与专门加强对受影响民众问责的行动。",
                "title": "对受影响民众的问责",
            },
            "1/active-participation": {
                "explanation": "",
                "text": "积极参与组群，并承诺始终如一地参与组群的集体工作。",
                "title": "积极参与",
            },
            "1/advocacy": {
                "explanation": "",
                "text": "开展倡导，并向受影响社区、东道国政府、捐助方、人道主义国家工作队、组群牵头机构、媒体和其他受众传播倡导内容和倡导信息。",
                "title": "倡导",
            },
            "1/complementarity": {
                "explanation": "",
                "text": "如果我们发挥各自的比较优势，相互补充彼此的贡献，人道主义界的多样性就是一笔财富。地方能力是需要加强并可作为基础的主要财富之一。人道主义组织应尽可能努力使其成为应急响应不可分割的组成部分。必须克服语言和文化障碍。",
                "title": "互补",
            },
            "1/cross-cutting-issues": {
                "explanation": "",
                "text": "承诺将关键的方案跨领域问题（包括年龄、性别、环境和艾滋病毒/艾滋病）纳入主流。",
                "title": "跨领域问题",
            },
            "1/duties-of-membership": {
                "explanation": "",
                "text": "表明了解机构间常设委员会职权范围和指导说明、任何组群专门指导意见以及国家组群职权范围（如有）所界定的组群成员的义务和责任。",
                "title": "了解成员的义务",
            },
            "1/equality": {
                "explanation": "我们仍然可以有不同意见，但应以建设性的方式提出。",
                "text": "平等要求伙伴关系成员无论规模大小和实力强弱，都相互尊重。参与者必须尊重彼此的任务授权、义务和独立性，并认识到彼此的限制和承诺。相互尊重不应妨碍各组织提出建设性的不同意见。",
                "title": "平等",
            },
            "1/interpretation": {
                "explanation": "",
                "text": "确保组群（以适当语言）提供口译，使组群的所有伙伴，包括地方组织（并酌情包括国家和地方当局），都能够参与。",
                "title": "以适当语言提供口译",
            },
            "1/principles-and-standards": {
                "explanation": "",
                "text": "承诺遵守人道主义原则、伙伴关系原则、组群专门指导意见和国际公认的方案标准，包括《关于防止性剥削和性虐待的特别保护措施的秘书长公报》。",
                "title": "人道主义原则、伙伴关系原则、标准和防止性剥削和性虐待",
            },
            "1/relationships": {
                "explanation": "",
                "text": "在组群内部以及与社区和其他利益攸关方保持有效的关系。",
                "title": "关系",
            },
            "1/responsibility": {
                "explanation": "",
                "text": "人道主义组织彼此负有道德义务，应以负责任、廉正、相关和适当的方式完成各自的任务。它们必须确保只在具备履行承诺的手段、能力、技能和实力时才承诺开展活动。还必须坚持不懈地果断、有力地防止人道主义工作者实施虐待行为。",
                "title": "责任",
            },
            "1/result-oriented-approach": {
                "explanation": "",
                "text": "有效的人道主义行动必须立足现实、注重行动。这就要求以切实的能力和具体的业务能力为基础，开展注重成果的协调。",
                "title": "注重成果的方针",
            },
            "1/results": {"explanation": "", "text": "对取得成果相互负责。", "title": "成果"},
            "1/rights": {"explanation": "", "text": "保护受影响民众的权利。", "title": "权利"},
            "1/senior-staff": {
                "explanation": "",
                "text": "承诺由一名相关高级工作人员始终如一地参与组群工作，以完成组群的使命。",
                "title": "高级工作人员参与",
            },
            "1/shared-resources": {
                "explanation": "",
                "text": "承诺与其他组群伙伴开展合作，确保以最佳和具有战略性的方式利用现有资源，并分享有关本组织资源的信息。",
                "title": "合作和资源共享",
            },
            "1/strategic-response-plan": {
                "explanation": "",
                "text": "有能力并愿意为组群的战略应对计划和活动作出贡献，其中必须包括组群间协调。",
                "title": "为战略应对计划作出贡献",
            },
            "1/sub-national-leadership": {
                "explanation": "",
                "text": "愿意视需要在地方一级组群或工作组中承担领导责任，但须视能力和任务授权而定。",
                "title": "在地方一级或工作组中发挥领导作用",
            },
            "1/transparency": {
                "explanation": "",
                "text": "透明通过（平等基础上的）对话实现，重点是及早协商和及早分享信息。沟通和透明，包括财务透明，能够增进组织之间的信任。",
                "title": "透明",
            },
        },
    },
    "FrameworkVersion": {
        "ar": {
            "1": {"name": "الالتزامات الدنيا ومبادئ الشراكة للجنة الدائمة المشتركة بين الوكالات"}
        },
        "es": {"1": {"name": "Compromisos Mínimos y Principios de Asociación del IASC"}},
        "fr": {"1": {"name": "Engagements minimaux et Principes de partenariat de l’IASC"}},
        "ru": {"1": {"name": "Минимальные обязательства и Принципы партнёрства МПК"}},
        "zh_hans": {"1": {"name": "机构间常设委员会最低承诺和伙伴关系原则"}},
    },
}

LOOKUP = {
    "FrameworkVersion": lambda key: {"number": int(key)},
    "FrameworkItem": lambda key: {
        "version__number": int(key.split("/")[0]),
        "code": key.split("/")[1],
    },
}


def translate(apps, schema_editor):
    for model_name, languages in TRANSLATIONS.items():
        model = apps.get_model("commitments", model_name)
        for language, rows in languages.items():
            for key, fields in rows.items():
                values = {f"{field}_{language}": text or None for field, text in fields.items()}
                model.objects.filter(**LOOKUP[model_name](key)).update(**values)


def untranslate(apps, schema_editor):
    for model_name, languages in TRANSLATIONS.items():
        model = apps.get_model("commitments", model_name)
        for language, rows in languages.items():
            fields = {field for texts in rows.values() for field in texts}
            model.objects.update(**{f"{field}_{language}": None for field in fields})


class Migration(migrations.Migration):
    dependencies = [("commitments", "0003_framework_languages")]

    operations = [migrations.RunPython(translate, untranslate)]
